// The dataset tools with --backend=leveldb: convert_imageset,
// compute_image_mean, convert_mnist and convert_mnist_siamese.
#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <set>

#include "compat/tool_runner.hpp"
#include "crema/common.hpp"
#include "crema/data/db.hpp"
#include "crema/io/proto_io.hpp"
#include "crema/proto/crema.pb.h"
#include "data/data_test_util.hpp"

namespace crema {
namespace {

using testing::RunToolBinary;
using testing::ScratchDir;
using testing::ToolPath;

std::vector<std::pair<std::string, Datum>> ReadAll(const std::string& backend,
                                                   const std::string& path) {
  auto db = db::OpenDB(backend, path, db::Mode::READ);
  auto cursor = db->NewCursor();
  std::vector<std::pair<std::string, Datum>> records;
  for (int64_t i = db->Count(); i > 0; --i, cursor->Next()) {
    records.emplace_back(cursor->key(), Datum());
    EXPECT_TRUE(records.back().second.ParseFromString(cursor->value()));
  }
  return records;
}

void PutBigEndian(uint32_t value, std::string* out) {
  for (int shift = 24; shift >= 0; shift -= 8) out->push_back(static_cast<char>(value >> shift));
}

// Plain idx files of n 2 x 2 images (pixel k of image i = 4 * i + k) with
// labels labels[i].
void WriteIdx(const ScratchDir& dir, const std::vector<uint8_t>& labels) {
  std::string images, label_bytes;
  const uint32_t n = static_cast<uint32_t>(labels.size());
  for (uint32_t v : {2051u, n, 2u, 2u}) PutBigEndian(v, &images);
  for (uint32_t k = 0; k < 4 * n; ++k) images.push_back(static_cast<char>(k));
  for (uint32_t v : {2049u, n}) PutBigEndian(v, &label_bytes);
  for (uint8_t label : labels) label_bytes.push_back(static_cast<char>(label));
  std::ofstream(dir / "images", std::ios::binary) << images;
  std::ofstream(dir / "labels", std::ios::binary) << label_bytes;
}

class LevelDBToolsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(ToolPath("convert_mnist_siamese"))) {
      GTEST_SKIP() << "tools not built";
    }
  }
  int Run(const std::string& tool, const std::vector<std::string>& args) {
    std::filesystem::remove(dir_ / "log.txt");
    return RunToolBinary(tool, args, dir_ / "log.txt");
  }
  std::string Log() const { return ReadFileToString(dir_ / "log.txt"); }

  ScratchDir dir_;
};

TEST_F(LevelDBToolsTest, ConvertImagesetAndComputeImageMean) {
  // Two 1 x 2 gray images: pixels (10, 20) and (30, 60).
  std::filesystem::create_directories(dir_ / "images");
  cv::Mat a = (cv::Mat_<uchar>(1, 2) << 10, 20);
  cv::Mat b = (cv::Mat_<uchar>(1, 2) << 30, 60);
  ASSERT_TRUE(cv::imwrite(dir_ / "images/a.png", a));
  ASSERT_TRUE(cv::imwrite(dir_ / "images/b.png", b));
  std::ofstream(dir_ / "list.txt") << "a.png 1\nb.png 2\n";
  ASSERT_EQ(Run("convert_imageset", {"--backend=leveldb", "--gray", (dir_ / "images") + "/",
                                     dir_ / "list.txt", dir_ / "db"}),
            0)
      << Log();
  const auto records = ReadAll("leveldb", dir_ / "db");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].first, "00000000_a.png");
  EXPECT_EQ(records[1].first, "00000001_b.png");
  EXPECT_EQ(records[1].second.label(), 2);
  EXPECT_EQ(records[1].second.data(), std::string("\x1e\x3c", 2));

  ASSERT_EQ(Run("compute_image_mean", {"--backend=leveldb", dir_ / "db", dir_ / "mean.binaryproto"}),
            0)
      << Log();
  BlobProto mean;
  ReadProtoFromBinaryFile(dir_ / "mean.binaryproto", &mean);
  ASSERT_EQ(mean.data_size(), 2);
  EXPECT_FLOAT_EQ(mean.data(0), 20.f);
  EXPECT_FLOAT_EQ(mean.data(1), 40.f);
  EXPECT_NE(Log().find("mean_value channel [0]: 30"), std::string::npos) << Log();

  // The wrong backend names both kinds.
  EXPECT_EQ(Run("compute_image_mean", {"--backend=lmdb", dir_ / "db"}), 1);
  EXPECT_NE(Log().find("is a LevelDB database, not an LMDB"), std::string::npos) << Log();
  EXPECT_EQ(Run("compute_image_mean", {"--backend=leveldb", dir_ / "none"}), 1);
  EXPECT_NE(Log().find("does not exist"), std::string::npos) << Log();
}

TEST_F(LevelDBToolsTest, ConvertMnist) {
  WriteIdx(dir_, {3, 1, 4});
  ASSERT_EQ(Run("convert_mnist", {"--backend=leveldb", dir_ / "images", dir_ / "labels",
                                  dir_ / "db"}),
            0)
      << Log();
  const auto records = ReadAll("leveldb", dir_ / "db");
  ASSERT_EQ(records.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(records[i].first, db::FormatKey(i));
    EXPECT_EQ(records[i].second.label(), std::vector<int>({3, 1, 4})[i]);
    EXPECT_EQ(records[i].second.channels(), 1);
    EXPECT_EQ(static_cast<uint8_t>(records[i].second.data()[0]), 4 * i);
  }
}

TEST_F(LevelDBToolsTest, ConvertMnistSiamesePairsImages) {
  const std::vector<uint8_t> labels = {0, 1, 0, 2, 1, 0};
  WriteIdx(dir_, labels);
  ASSERT_EQ(Run("convert_mnist_siamese", {"--pairs=40", "--seed=3", dir_ / "images",
                                          dir_ / "labels", dir_ / "pairs"}),
            0)
      << Log();
  EXPECT_NE(Log().find("Wrote 40 pairs"), std::string::npos) << Log();
  const auto records = ReadAll("leveldb", dir_ / "pairs");  // Caffe's example reads LevelDB
  ASSERT_EQ(records.size(), 40u);
  std::set<int> seen_labels;
  for (int p = 0; p < 40; ++p) {
    const Datum& d = records[p].second;
    EXPECT_EQ(records[p].first, db::FormatKey(p));
    ASSERT_EQ(d.channels(), 2);
    ASSERT_EQ(d.height(), 2);
    ASSERT_EQ(d.width(), 2);
    ASSERT_EQ(d.data().size(), 8u);
    // Each channel is one whole image: its first pixel says which.
    const int i = static_cast<uint8_t>(d.data()[0]) / 4;
    const int j = static_cast<uint8_t>(d.data()[4]) / 4;
    for (int k = 0; k < 4; ++k) {
      EXPECT_EQ(static_cast<uint8_t>(d.data()[k]), 4 * i + k);
      EXPECT_EQ(static_cast<uint8_t>(d.data()[4 + k]), 4 * j + k);
    }
    EXPECT_EQ(d.label(), labels[i] == labels[j] ? 1 : 0) << "pair " << p;
    seen_labels.insert(d.label());
  }
  EXPECT_EQ(seen_labels.size(), 2u);
  // The same seed gives the same pairs; --backend=lmdb writes an LMDB.
  ASSERT_EQ(Run("convert_mnist_siamese", {"--pairs=40", "--seed=3", "--backend=lmdb",
                                          dir_ / "images", dir_ / "labels", dir_ / "pairs_lmdb"}),
            0)
      << Log();
  const auto again = ReadAll("lmdb", dir_ / "pairs_lmdb");
  ASSERT_EQ(again.size(), 40u);
  for (int p = 0; p < 40; ++p) {
    EXPECT_EQ(again[p].second.SerializeAsString(), records[p].second.SerializeAsString());
  }
  EXPECT_EQ(Run("convert_mnist_siamese", {dir_ / "labels", dir_ / "images", dir_ / "x"}), 1);
  EXPECT_NE(Log().find("magic number 2051"), std::string::npos) << Log();
}

}  // namespace
}  // namespace crema
