#include <gtest/gtest.h>

#include <filesystem>

#include "crema/common.hpp"
#include "crema/data/db.hpp"
#include "data/data_test_util.hpp"

namespace crema {
namespace {

using testing::ScratchDir;

TEST(LmdbTest, FormatKeyMatchesCaffe) {
  EXPECT_EQ(db::FormatKey(42), "00000042");
  EXPECT_EQ(db::FormatKey(7, "cat/a.jpg"), "00000007_cat/a.jpg");
  EXPECT_LT(db::FormatKey(9, "z"), db::FormatKey(10, "a"));
}

TEST(LmdbTest, WriteThenReadInKeyOrderAndWrap) {
  ScratchDir dir;
  const std::string path = dir / "db";
  {
    auto db = db::OpenDB("lmdb", path, db::Mode::NEW);
    auto txn = db->NewTransaction();
    // Written out of order; read back sorted.
    for (int i : {3, 0, 2, 1}) txn->Put(db::FormatKey(i), "value" + std::to_string(i));
    EXPECT_EQ(txn->pending(), 4u);
    txn->Commit();
    EXPECT_EQ(txn->pending(), 0u);
  }
  EXPECT_TRUE(std::filesystem::exists(path + "/data.mdb"));
  auto db = db::OpenDB("lmdb", path, db::Mode::READ);
  EXPECT_EQ(db->Count(), 4);
  auto cursor = db->NewCursor();
  for (int pass = 0; pass < 2; ++pass) {
    for (int i = 0; i < 4; ++i) {
      ASSERT_TRUE(cursor->valid());
      EXPECT_EQ(cursor->key(), db::FormatKey(i));
      EXPECT_EQ(cursor->value(), "value" + std::to_string(i));
      cursor->Next();
    }
  }
  EXPECT_EQ(cursor->wraps(), 2);
  EXPECT_TRUE(cursor->Seek(db::FormatKey(2)));
  EXPECT_EQ(cursor->value(), "value2");
  EXPECT_FALSE(cursor->Seek("nope"));
  EXPECT_EQ(cursor->key(), db::FormatKey(2));  // unchanged
  cursor->SeekToFirst();
  EXPECT_EQ(cursor->key(), db::FormatKey(0));
}

TEST(LmdbTest, MapGrowsBeyondInitialSize) {
  ScratchDir dir;
  const std::string path = dir / "db";
  db::Options options;
  options.initial_map_size = size_t{1} << 20;  // 1 MB
  const std::string blob(100 * 1024, 'x');
  {
    auto db = db::OpenDB("lmdb", path, db::Mode::NEW, options);
    // Many small commits, then one commit far larger than the map.
    auto txn = db->NewTransaction();
    for (int i = 0; i < 20; ++i) {
      txn->Put(db::FormatKey(i), blob + std::to_string(i));
      txn->Commit();
    }
    for (int i = 20; i < 80; ++i) txn->Put(db::FormatKey(i), blob + std::to_string(i));
    txn->Commit();
    EXPECT_GT(db->map_size(), options.initial_map_size * 4);
  }
  auto db = db::OpenDB("lmdb", path, db::Mode::READ, options);
  EXPECT_EQ(db->Count(), 80);
  auto cursor = db->NewCursor();
  for (int i = 0; i < 80; ++i, cursor->Next()) {
    ASSERT_EQ(cursor->key(), db::FormatKey(i));
    ASSERT_EQ(cursor->value(), blob + std::to_string(i));
  }
  EXPECT_GT(std::filesystem::file_size(path + "/data.mdb"), size_t{8} << 20);
}

TEST(LmdbTest, WriteModeAppendsToExisting) {
  ScratchDir dir;
  const std::string path = dir / "db";
  {
    auto db = db::OpenDB("lmdb", path, db::Mode::NEW);
    auto txn = db->NewTransaction();
    txn->Put("a", "1");
    txn->Commit();
  }
  {
    auto db = db::OpenDB("lmdb", path, db::Mode::WRITE);
    auto txn = db->NewTransaction();
    txn->Put("b", "2");
    txn->Commit();
    EXPECT_EQ(db->Count(), 2);
  }
}

TEST(LmdbTest, ClearErrors) {
  ScratchDir dir;
  try {
    db::OpenDB("lmdb", dir / "missing", db::Mode::READ);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(dir / "missing"), std::string::npos) << e.what();
  }
  EXPECT_THROW(db::OpenDB("lmdb", dir.path(), db::Mode::READ), Error);  // no data.mdb
  auto db = db::OpenDB("lmdb", dir / "db", db::Mode::NEW);
  db.reset();
  EXPECT_THROW(db::OpenDB("lmdb", dir / "db", db::Mode::NEW), Error);  // exists
  EXPECT_THROW(db::GetDB("rocks"), Error);
}

TEST(LmdbTest, UsingAClosedDatabaseIsAnError) {
  ScratchDir dir;
  auto db = db::OpenDB("lmdb", dir / "db", db::Mode::NEW);
  db->Close();
  try {
    db->NewCursor();
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("is not open"), std::string::npos) << e.what();
  }
  EXPECT_THROW(db->NewTransaction(), Error);
  EXPECT_THROW(db->Count(), Error);
}

TEST(LmdbTest, EmptyDatabaseHasInvalidCursor) {
  ScratchDir dir;
  { auto db = db::OpenDB("lmdb", dir / "db", db::Mode::NEW); }
  auto db = db::OpenDB("lmdb", dir / "db", db::Mode::READ);
  auto cursor = db->NewCursor();
  EXPECT_FALSE(cursor->valid());
  cursor->Next();
  EXPECT_FALSE(cursor->valid());
}

}  // namespace
}  // namespace crema
