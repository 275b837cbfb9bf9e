// LevelDB, Caffe's default Data backend: the db:: interface over it, its
// errors, the Data layer reading it, and the bytes crema's writers put in it
// compared with what BVLC Caffe's convert_imageset writes.
#include <gtest/gtest.h>
#include <leveldb/db.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <filesystem>
#include <fstream>
#include <memory>

#include "crema/common.hpp"
#include "crema/data/db.hpp"
#include "crema/data/image_set.hpp"
#include "crema/io/proto_io.hpp"
#include "crema/layer_registry.hpp"
#include "data/data_test_util.hpp"
#include "support/test_util.hpp"

namespace crema {
namespace {

using testing::MakeDatum;
using testing::ParseText;
using testing::ScratchDir;
using testing::WriteDatumDB;

std::string ErrorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(LevelDBTest, DatumsRoundTripInKeyOrderAndWrap) {
  ScratchDir dir;
  const std::string path = dir / "db";
  const auto datum = [](int i) { return MakeDatum(3, 2, 2, 7 * i, i % 3); };
  {
    auto db = db::OpenDB("leveldb", path, db::Mode::NEW);
    auto txn = db->NewTransaction();
    for (int i : {4, 0, 3, 1, 2}) txn->Put(db::FormatKey(i), datum(i).SerializeAsString());
    EXPECT_EQ(txn->pending(), 5u);
    txn->Commit();
    EXPECT_EQ(txn->pending(), 0u);
  }
  EXPECT_TRUE(std::filesystem::exists(path + "/CURRENT"));
  EXPECT_EQ(db::DetectBackend(path), "leveldb");
  auto db = db::OpenDB("LEVELDB", path, db::Mode::READ);
  EXPECT_EQ(db->Count(), 5);
  auto cursor = db->NewCursor();
  for (int pass = 0; pass < 2; ++pass) {
    for (int i = 0; i < 5; ++i) {
      ASSERT_TRUE(cursor->valid());
      EXPECT_EQ(cursor->key(), db::FormatKey(i));
      Datum read;
      ASSERT_TRUE(read.ParseFromString(cursor->value()));
      EXPECT_EQ(read.SerializeAsString(), datum(i).SerializeAsString());
      EXPECT_EQ(read.label(), i % 3);
      cursor->Next();
    }
  }
  EXPECT_EQ(cursor->wraps(), 2);
  EXPECT_TRUE(cursor->Seek(db::FormatKey(3)));
  EXPECT_EQ(cursor->key(), db::FormatKey(3));
  EXPECT_FALSE(cursor->Seek("nope"));
  EXPECT_EQ(cursor->key(), db::FormatKey(3));  // unchanged
  cursor->SeekToFirst();
  EXPECT_EQ(cursor->key(), db::FormatKey(0));
  EXPECT_EQ(db->map_size(), 0u);
}

TEST(LevelDBTest, WriteModeAppendsAndEmptyDatabaseHasInvalidCursor) {
  ScratchDir dir;
  { auto db = db::OpenDB("leveldb", dir / "db", db::Mode::NEW); }
  {
    auto db = db::OpenDB("leveldb", dir / "db", db::Mode::READ);
    auto cursor = db->NewCursor();
    EXPECT_FALSE(cursor->valid());
    cursor->Next();
    EXPECT_FALSE(cursor->valid());
  }
  for (const char* key : {"b", "a"}) {
    auto db = db::OpenDB("leveldb", dir / "db", db::Mode::WRITE);
    auto txn = db->NewTransaction();
    txn->Put(key, key);
    txn->Commit();
  }
  auto db = db::OpenDB("leveldb", dir / "db", db::Mode::READ);
  EXPECT_EQ(db->Count(), 2);
  EXPECT_EQ(db->NewCursor()->key(), "a");
}

// Two readers in one process (a train and a test net on one dataset) share
// the folder instead of tripping over LevelDB's per-process lock.
TEST(LevelDBTest, OneFolderOpenTwiceInOneProcess) {
  ScratchDir dir;
  WriteDatumDB(dir / "db", 3, [](int i) { return MakeDatum(1, 1, 1, i, i); }, "leveldb");
  auto first = db::OpenDB("leveldb", dir / "db", db::Mode::READ);
  auto second = db::OpenDB("leveldb", dir / "db/", db::Mode::READ);
  auto a = first->NewCursor();
  first->Close();  // the cursor keeps the database open
  auto b = second->NewCursor();
  a->Next();
  EXPECT_EQ(a->key(), db::FormatKey(1));
  EXPECT_EQ(b->key(), db::FormatKey(0));
}

TEST(LevelDBTest, ClearErrors) {
  ScratchDir dir;
  std::string error = ErrorOf([&] { db::OpenDB("leveldb", dir / "missing", db::Mode::READ); });
  EXPECT_NE(error.find(dir / "missing"), std::string::npos) << error;
  EXPECT_NE(error.find("does not exist"), std::string::npos) << error;
  error = ErrorOf([&] { db::OpenDB("leveldb", dir.path(), db::Mode::READ); });
  EXPECT_NE(error.find("is not a LevelDB"), std::string::npos) << error;

  // An LMDB read as a LevelDB, and the other way round: both kinds named.
  WriteDatumDB(dir / "lmdb", 1, [](int i) { return MakeDatum(1, 1, 1, i, i); });
  WriteDatumDB(dir / "ldb", 1, [](int i) { return MakeDatum(1, 1, 1, i, i); }, "leveldb");
  error = ErrorOf([&] { db::OpenDB("leveldb", dir / "lmdb", db::Mode::READ); });
  EXPECT_NE(error.find("is an LMDB database, not a LevelDB"), std::string::npos) << error;
  EXPECT_NE(error.find("backend: LMDB"), std::string::npos) << error;
  error = ErrorOf([&] { db::OpenDB("lmdb", dir / "ldb", db::Mode::READ); });
  EXPECT_NE(error.find("is a LevelDB database, not an LMDB"), std::string::npos) << error;
  EXPECT_NE(error.find("backend: LEVELDB"), std::string::npos) << error;
  error = ErrorOf([&] { db::OpenDB("lmdb", dir / "ldb", db::Mode::WRITE); });
  EXPECT_NE(error.find("is a LevelDB database, not an LMDB"), std::string::npos) << error;
  error = ErrorOf([&] { db::OpenDB("leveldb", dir / "lmdb", db::Mode::WRITE); });
  EXPECT_NE(error.find("is an LMDB database, not a LevelDB"), std::string::npos) << error;
  error = ErrorOf([&] { db::OpenDB("leveldb", dir / "ldb", db::Mode::NEW); });
  EXPECT_NE(error.find("already exists"), std::string::npos) << error;
  error = ErrorOf([&] { db::GetDB("rocksdb"); });
  EXPECT_NE(error.find("'lmdb' and 'leveldb'"), std::string::npos) << error;

  // Closed: an error, not a crash.
  auto db = db::OpenDB("leveldb", dir / "ldb", db::Mode::READ);
  db->Close();
  error = ErrorOf([&] { db->NewCursor(); });
  EXPECT_NE(error.find("is not open"), std::string::npos) << error;
}

// LevelDB itself holds the folder's lock, as another process would.
TEST(LevelDBTest, LockedDatabaseIsNamed) {
  ScratchDir dir;
  WriteDatumDB(dir / "db", 1, [](int i) { return MakeDatum(1, 1, 1, i, i); }, "leveldb");
  leveldb::DB* raw = nullptr;
  ASSERT_TRUE(leveldb::DB::Open(leveldb::Options(), dir / "db", &raw).ok());
  std::unique_ptr<leveldb::DB> holder(raw);
  const std::string error = ErrorOf([&] { db::OpenDB("leveldb", dir / "db", db::Mode::READ); });
  EXPECT_NE(error.find("LevelDB '" + (dir / "db") + "' is locked"), std::string::npos) << error;
}

// ---- the Data layer ----

struct Tops {
  Blob data, label;
  std::vector<Blob*> vec() { return {&data, &label}; }
};

std::shared_ptr<Layer> DataLayerOn(const std::string& source, const std::string& backend,
                                   Tops* tops) {
  const std::string text = "name: 'data' type: 'Data' phase: TEST data_param { source: '" +
                           source + "' batch_size: 4 " + backend +
                           " } transform_param { scale: 0.5 crop_size: 2 }";
  auto layer = LayerRegistry::Create(ParseText<LayerParameter>(text));
  layer->SetUp({}, tops->vec());
  return layer;
}

std::vector<float> Batches(Layer* layer, Tops* tops, int n) {
  std::vector<float> values;
  for (int i = 0; i < n; ++i) {
    layer->Forward({}, tops->vec());
    values.insert(values.end(), tops->data.cpu_data(),
                  tops->data.cpu_data() + tops->data.count());
    values.insert(values.end(), tops->label.cpu_data(),
                  tops->label.cpu_data() + tops->label.count());
  }
  return values;
}

TEST(LevelDBTest, DataLayerGivesTheSameBatchesAsFromAnLmdb) {
  ScratchDir dir;
  const auto make = [](int i) { return MakeDatum(3, 4, 4, 11 * i, i % 5); };
  WriteDatumDB(dir / "lmdb", 7, make);
  WriteDatumDB(dir / "leveldb", 7, make, "leveldb");
  Tops from_lmdb, from_leveldb, from_default;
  auto lmdb = DataLayerOn(dir / "lmdb", "backend: LMDB", &from_lmdb);
  auto leveldb = DataLayerOn(dir / "leveldb", "backend: LEVELDB", &from_leveldb);
  // No backend named: Caffe's default (LEVELDB).
  auto by_default = DataLayerOn(dir / "leveldb", "", &from_default);
  const std::vector<float> expected = Batches(lmdb.get(), &from_lmdb, 5);  // wraps twice
  ASSERT_EQ(expected.size(), 5u * (4 * 3 * 2 * 2 + 4));
  EXPECT_EQ(Batches(leveldb.get(), &from_leveldb, 5), expected);
  EXPECT_EQ(Batches(by_default.get(), &from_default, 5), expected);
  // The last batch holds records 16..19 of the cycle: 2, 3, 4, 5 (label i % 5).
  const float* labels = from_leveldb.label.cpu_data();
  EXPECT_EQ(std::vector<float>(labels, labels + 4), (std::vector<float>{2, 3, 4, 0}));
}

TEST(LevelDBTest, DataLayerNamesTheWrongBackend) {
  ScratchDir dir;
  WriteDatumDB(dir / "lmdb", 2, [](int i) { return MakeDatum(1, 2, 2, i, i); });
  Tops tops;
  const std::string error = ErrorOf([&] { DataLayerOn(dir / "lmdb", "backend: LEVELDB", &tops); });
  EXPECT_NE(error.find("is an LMDB database, not a LevelDB"), std::string::npos) << error;
  EXPECT_NE(error.find("layer 'data'"), std::string::npos) << error;
}

// ---- the bytes on disk, as BVLC Caffe's convert_imageset writes them ----
//
// Caffe's key is format_int(line, 8) + "_" + path. Its value is a Datum
// serialized by protobuf: fields in number order, each a tag
// (number << 3 | wire type) then a varint or a length-prefixed byte run.
// Raw images (CVMatToDatum): channels = 1, height = 2, width = 3, data = 4
// (C x H x W bytes, BGR planes), label = 5, encoded = 7 set to false.
// Encoded images (ReadFileToDatum): data = the file's bytes, label, encoded
// = true, and no shape.

std::string Varint(uint64_t v) {
  std::string out;
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
  return out;
}
std::string VarintField(int number, uint64_t v) { return Varint(number << 3 | 0) + Varint(v); }
std::string BytesField(int number, const std::string& bytes) {
  return Varint(number << 3 | 2) + Varint(bytes.size()) + bytes;
}

std::string CaffeRawDatum(const cv::Mat& bgr, int label) {
  std::string planes;
  for (int c = 0; c < bgr.channels(); ++c) {
    for (int h = 0; h < bgr.rows; ++h) {
      for (int w = 0; w < bgr.cols; ++w) {
        planes.push_back(static_cast<char>(bgr.ptr<uchar>(h)[w * bgr.channels() + c]));
      }
    }
  }
  return VarintField(1, bgr.channels()) + VarintField(2, bgr.rows) + VarintField(3, bgr.cols) +
         BytesField(4, planes) + VarintField(5, label) + VarintField(7, 0);
}

std::string CaffeEncodedDatum(const std::string& file_bytes, int label) {
  return BytesField(4, file_bytes) + VarintField(5, label) + VarintField(7, 1);
}

// Every key and value of a LevelDB, read with LevelDB itself.
std::vector<std::pair<std::string, std::string>> RawRecords(const std::string& path) {
  leveldb::DB* raw = nullptr;
  EXPECT_TRUE(leveldb::DB::Open(leveldb::Options(), path, &raw).ok()) << path;
  std::unique_ptr<leveldb::DB> db(raw);
  std::unique_ptr<leveldb::Iterator> it(db->NewIterator(leveldb::ReadOptions()));
  std::vector<std::pair<std::string, std::string>> records;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    records.emplace_back(it->key().ToString(), it->value().ToString());
  }
  return records;
}

class CaffeFormatTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // A 3 x 2 color image and a 2 x 2 gray one, every pixel distinct.
    color_ = cv::Mat(2, 3, CV_8UC3);
    for (int k = 0; k < 18; ++k) color_.data[k] = static_cast<uchar>(10 + 13 * k);
    gray_ = cv::Mat(2, 2, CV_8UC1);
    for (int k = 0; k < 4; ++k) gray_.data[k] = static_cast<uchar>(200 + k);
    std::filesystem::create_directories(dir_ / "images/sub");
    ASSERT_TRUE(cv::imwrite(dir_ / "images/a.png", color_));
    ASSERT_TRUE(cv::imwrite(dir_ / "images/sub/b.png", gray_));
    // Label 300 needs a two-byte varint.
    std::ofstream(dir_ / "list.txt") << "a.png 0\nsub/b.png 300\n";
  }
  std::vector<std::pair<std::string, std::string>> Convert(const std::string& name,
                                                           ConvertOptions options) {
    options.backend = "leveldb";
    ConvertImageList(dir_ / "images/", dir_ / "list.txt", dir_ / name, options);
    return RawRecords(dir_ / name);
  }

  ScratchDir dir_;
  cv::Mat color_, gray_;
};

TEST_F(CaffeFormatTest, RawColorImages) {
  const auto records = Convert("color", ConvertOptions());
  cv::Mat gray_as_color;
  cv::cvtColor(gray_, gray_as_color, cv::COLOR_GRAY2BGR);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].first, "00000000_a.png");
  EXPECT_EQ(records[0].second, CaffeRawDatum(color_, 0));
  EXPECT_EQ(records[1].first, "00000001_sub/b.png");
  EXPECT_EQ(records[1].second, CaffeRawDatum(gray_as_color, 300));
  // Spelled out once: channels 3, height 2, width 3, 18 bytes, label 0, raw.
  EXPECT_EQ(records[0].second.substr(0, 8), std::string("\x08\x03\x10\x02\x18\x03\x22\x12", 8));
  EXPECT_EQ(records[0].second.substr(26), std::string("\x28\x00\x38\x00", 4));
}

TEST_F(CaffeFormatTest, RawGrayImages) {
  ConvertOptions options;
  options.gray = true;
  const auto records = Convert("gray", options);
  cv::Mat color_as_gray;
  cv::cvtColor(color_, color_as_gray, cv::COLOR_BGR2GRAY);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].second, CaffeRawDatum(color_as_gray, 0));
  EXPECT_EQ(records[1].second, CaffeRawDatum(gray_, 300));
  EXPECT_EQ(records[1].second.substr(records[1].second.size() - 5),
            std::string("\x28\xac\x02\x38\x00", 5));  // label 300, encoded false
}

TEST_F(CaffeFormatTest, EncodedImagesKeepTheirFileBytes) {
  ConvertOptions options;
  options.encoded = true;
  const auto records = Convert("encoded", options);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].first, "00000000_a.png");
  EXPECT_EQ(records[0].second, CaffeEncodedDatum(ReadFileToString(dir_ / "images/a.png"), 0));
  EXPECT_EQ(records[1].second,
            CaffeEncodedDatum(ReadFileToString(dir_ / "images/sub/b.png"), 300));
}

// A LevelDB written byte for byte as Caffe writes it (with LevelDB itself,
// Caffe's block size) reads back through the Data layer pixel for pixel.
TEST_F(CaffeFormatTest, DataLayerReadsCaffesBytes) {
  leveldb::Options options;
  options.create_if_missing = true;
  options.block_size = 65536;
  leveldb::DB* raw = nullptr;
  ASSERT_TRUE(leveldb::DB::Open(options, dir_ / "caffe", &raw).ok());
  {
    std::unique_ptr<leveldb::DB> db(raw);
    ASSERT_TRUE(db->Put(leveldb::WriteOptions(), "00000000_a.png", CaffeRawDatum(color_, 7)).ok());
  }
  Blob data, label;
  auto layer = LayerRegistry::Create(ParseText<LayerParameter>(
      "name: 'data' type: 'Data' data_param { source: '" + (dir_ / "caffe") +
      "' batch_size: 2 backend: LEVELDB }"));
  layer->SetUp({}, {&data, &label});
  layer->Forward({}, {&data, &label});
  ASSERT_EQ(data.shape(), (std::vector<int>{2, 3, 2, 3}));
  for (int n = 0; n < 2; ++n) {  // one record, read twice
    EXPECT_EQ(label.cpu_data()[n], 7.f);
    for (int c = 0; c < 3; ++c) {
      for (int h = 0; h < 2; ++h) {
        for (int w = 0; w < 3; ++w) {
          EXPECT_EQ(data.data_at(n, c, h, w), color_.ptr<uchar>(h)[w * 3 + c]);
        }
      }
    }
  }
}

}  // namespace
}  // namespace crema
