// A damaged LMDB (data.mdb cut short, bytes overwritten) read by the Data
// layer and by compute_image_mean: one sentence naming the database, never a
// crash (a page past the end of a mapped file would be SIGBUS).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>

#include "crema/common.hpp"
#include "crema/data/db.hpp"
#include "crema/data/image_mean.hpp"
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

constexpr int kRecords = 40;

// The crema::Error a call throws ("" when none).
std::string ErrorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// Datums of 3 x 16 x 16: 768 bytes each, about 30 KB of pages.
void WriteRecords(const std::string& path) {
  WriteDatumDB(path, kRecords, [](int i) { return MakeDatum(3, 16, 16, i, i % 10); });
}

// What reading every record through a Data layer says ("" when it works).
std::string DataLayerError(const std::string& source) {
  return ErrorOf([&] {
    Blob data, label;
    auto layer = LayerRegistry::Create(ParseText<LayerParameter>(
        "name: 'train_data' type: 'Data' top: 'data' top: 'label' "
        "data_param { source: '" + source + "' batch_size: 8 backend: LMDB prefetch: 1 }"));
    layer->SetUp({}, {&data, &label});
    for (int i = 0; i < kRecords / 8; ++i) layer->Forward({}, {&data, &label});
  });
}

std::string MeanError(const std::string& source) {
  return ErrorOf([&] { ComputeImageMean(source); });
}

void Truncate(const std::string& file, uintmax_t size) {
  std::filesystem::resize_file(file, size);
}

// Overwrites bytes of `file` at `offset`.
void Overwrite(const std::string& file, size_t offset, const std::string& bytes) {
  std::fstream out(file, std::ios::in | std::ios::out | std::ios::binary);
  out.seekp(static_cast<std::streamoff>(offset));
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

TEST(BadLmdbTest, IntactDatabaseReads) {
  ScratchDir dir;
  WriteRecords(dir / "db");
  EXPECT_EQ(DataLayerError(dir / "db"), "");
  EXPECT_EQ(MeanError(dir / "db"), "");
}

TEST(BadLmdbTest, TruncatedDataFileIsRefusedUpFront) {
  ScratchDir dir;
  WriteRecords(dir / "db");
  const std::string file = dir / "db/data.mdb";
  const uintmax_t size = std::filesystem::file_size(file);
  for (uintmax_t keep : {size / 2, size - 4096, uintmax_t{3 * 4096}}) {
    SCOPED_TRACE(keep);
    WriteRecords(dir / "cut");
    Truncate(dir / "cut/data.mdb", keep);
    const std::string expected = "LMDB '" + (dir / "cut") + "' is truncated: its data.mdb holds " +
                                 std::to_string(keep) + " bytes";
    const std::string layer_error = DataLayerError(dir / "cut");
    EXPECT_NE(layer_error.find(expected), std::string::npos) << layer_error;
    EXPECT_NE(layer_error.find("'train_data'"), std::string::npos) << layer_error;
    const std::string mean_error = MeanError(dir / "cut");
    EXPECT_NE(mean_error.find(expected), std::string::npos) << mean_error;
    std::filesystem::remove_all(dir / "cut");
  }
  // Cut inside the header pages: not an LMDB at all.
  WriteRecords(dir / "stub");
  Truncate(dir / "stub/data.mdb", 100);
  const std::string stub_error = MeanError(dir / "stub");
  EXPECT_NE(stub_error.find("Cannot open LMDB '" + (dir / "stub") + "'"), std::string::npos)
      << stub_error;
}

TEST(BadLmdbTest, OverwrittenRecordNamesTheRecord) {
  ScratchDir dir;
  WriteRecords(dir / "db");
  // Record 5's value starts with its serialized fields; 0xFF there is no
  // valid protobuf tag.
  std::string value;
  MakeDatum(3, 16, 16, 5, 5).SerializeToString(&value);
  const std::string file = dir / "db/data.mdb";
  const std::string bytes = ReadFileToString(file);
  const size_t at = bytes.find(value);
  ASSERT_NE(at, std::string::npos);
  Overwrite(file, at, "\xff\xff\xff\xff");
  const std::string mean_error = MeanError(dir / "db");
  EXPECT_NE(mean_error.find("'" + (dir / "db") + "', record '00000005': the value is not a Datum"),
            std::string::npos)
      << mean_error;
  const std::string layer_error = DataLayerError(dir / "db");
  EXPECT_NE(layer_error.find("00000005"), std::string::npos) << layer_error;
  EXPECT_NE(layer_error.find("not a Datum"), std::string::npos) << layer_error;
}

}  // namespace
}  // namespace crema
