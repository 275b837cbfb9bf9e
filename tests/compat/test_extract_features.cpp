// tools/extract_features with Caffe's positional interface: LMDB output
// readable as Caffe writes it (Datum with float_data and the blob's C/H/W
// under "%010d" keys) and .npy output readable by numpy (v1.0 header).
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "compat/tool_runner.hpp"
#include "crema/common.hpp"
#include "crema/data/db.hpp"
#include "crema/feature_extractor.hpp"
#include "crema/io/npy.hpp"
#include "crema/io/proto_io.hpp"
#include "crema/net.hpp"
#include "crema/proto/crema.pb.h"
#include "solver/solver_test_util.hpp"

namespace crema {
namespace testing {
namespace {

constexpr int kRecords = 5;  // in the input database
constexpr int kBatch = 2;
constexpr int kBatches = 3;  // 6 examples: the reader wraps around once

class ExtractFeaturesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!FileExists(ToolPath("extract_features"))) GTEST_SKIP() << "tools not built";
    // Records 1 x 2 x 3 of bytes 10 * record + position.
    auto db = db::OpenDB("lmdb", dir_ / "input_lmdb", db::Mode::NEW);
    auto txn = db->NewTransaction();
    for (int r = 0; r < kRecords; ++r) {
      Datum datum;
      datum.set_channels(1);
      datum.set_height(2);
      datum.set_width(3);
      datum.set_label(r);
      std::string bytes;
      for (int i = 0; i < 6; ++i) bytes += static_cast<char>(10 * r + i);
      datum.set_data(bytes);
      txn->Put(db::FormatKey(r), datum.SerializeAsString());
    }
    txn->Commit();
    db->Close();
    WriteTextFile(dir_ / "net.prototxt",
                  StrCat("name: 'features'\n",
                         "layer { name: 'data' type: 'Data' top: 'data' top: 'label'\n",
                         "  data_param { source: '", dir_ / "input_lmdb", "' batch_size: ",
                         kBatch, " backend: LMDB } }\n",
                         "layer { name: 'ip' type: 'InnerProduct' bottom: 'data' top: 'ip'\n",
                         "  inner_product_param { num_output: 4\n",
                         "    weight_filler { type: 'gaussian' std: 1 }\n",
                         "    bias_filler { type: 'gaussian' std: 1 } } }\n"));
    Net net(dir_ / "net.prototxt", TEST);
    NetParameter weights;
    net.ToProto(&weights);
    WriteProtoToBinaryFile(weights, dir_ / "w.caffemodel");
    Layer& ip = *net.layer_by_name("ip");
    w_.assign(ip.blobs()[0]->cpu_data(), ip.blobs()[0]->cpu_data() + 24);
    b_.assign(ip.blobs()[1]->cpu_data(), ip.blobs()[1]->cpu_data() + 4);
  }
  // Pixel i of example e (the reader cycles through the records).
  float Pixel(int e, int i) const { return static_cast<float>(10 * (e % kRecords) + i); }
  float Ip(int e, int o) const {
    float sum = b_[o];
    for (int i = 0; i < 6; ++i) sum += w_[o * 6 + i] * Pixel(e, i);
    return sum;
  }
  std::string Log() const { return ReadFileToString(dir_ / "log.txt"); }

  TempDir dir_;
  std::vector<float> w_, b_;
};

TEST_F(ExtractFeaturesTest, LmdbAsCaffeWritesIt) {
  ASSERT_EQ(RunToolBinary("extract_features",
                          {dir_ / "w.caffemodel", dir_ / "net.prototxt", "ip,data",
                           (dir_ / "ip_lmdb") + "," + (dir_ / "data_lmdb"),
                           std::to_string(kBatches), "lmdb", "CPU"},
                          dir_ / "log.txt"),
            0)
      << Log();
  auto ip_db = db::OpenDB("lmdb", dir_ / "ip_lmdb", db::Mode::READ);
  auto data_db = db::OpenDB("lmdb", dir_ / "data_lmdb", db::Mode::READ);
  ASSERT_EQ(ip_db->Count(), kBatch * kBatches);
  ASSERT_EQ(data_db->Count(), kBatch * kBatches);
  auto cursor = ip_db->NewCursor();
  auto data_cursor = data_db->NewCursor();
  for (int e = 0; e < kBatch * kBatches; ++e) {
    char key[16];
    std::snprintf(key, sizeof(key), "%010d", e);
    ASSERT_EQ(cursor->key(), key);
    Datum datum;
    ASSERT_TRUE(datum.ParseFromString(cursor->value()));
    EXPECT_EQ(datum.channels(), 4);
    EXPECT_EQ(datum.height(), 1);
    EXPECT_EQ(datum.width(), 1);
    EXPECT_TRUE(datum.data().empty());
    ASSERT_EQ(datum.float_data_size(), 4);
    for (int o = 0; o < 4; ++o) EXPECT_NEAR(datum.float_data(o), Ip(e, o), 1e-3) << e;
    Datum pixels;
    ASSERT_EQ(data_cursor->key(), key);
    ASSERT_TRUE(pixels.ParseFromString(data_cursor->value()));
    EXPECT_EQ(pixels.channels(), 1);
    EXPECT_EQ(pixels.height(), 2);
    EXPECT_EQ(pixels.width(), 3);
    ASSERT_EQ(pixels.float_data_size(), 6);
    for (int i = 0; i < 6; ++i) EXPECT_EQ(pixels.float_data(i), Pixel(e, i));
    cursor->Next();
    data_cursor->Next();
  }
}

// The same Datums in a LevelDB (Caffe's tool offers both).
TEST_F(ExtractFeaturesTest, LevelDBHoldsTheSameRecords) {
  for (const char* backend : {"lmdb", "leveldb"}) {
    ASSERT_EQ(RunToolBinary("extract_features",
                            {dir_ / "w.caffemodel", dir_ / "net.prototxt", "ip",
                             dir_ / (std::string("ip_") + backend), std::to_string(kBatches),
                             backend},
                            dir_ / "log.txt"),
              0)
        << Log();
  }
  auto lmdb = db::OpenDB("lmdb", dir_ / "ip_lmdb", db::Mode::READ);
  auto leveldb = db::OpenDB("leveldb", dir_ / "ip_leveldb", db::Mode::READ);
  ASSERT_EQ(leveldb->Count(), kBatch * kBatches);
  auto a = lmdb->NewCursor();
  auto b = leveldb->NewCursor();
  for (int e = 0; e < kBatch * kBatches; ++e, a->Next(), b->Next()) {
    EXPECT_EQ(b->key(), FeatureKey(e));
    EXPECT_EQ(b->key(), a->key());
    EXPECT_EQ(b->value(), a->value());
  }
}

TEST_F(ExtractFeaturesTest, NpyForNumpy) {
  ASSERT_EQ(RunToolBinary("extract_features",
                          {dir_ / "w.caffemodel", dir_ / "net.prototxt", "ip", dir_ / "ip",
                           std::to_string(kBatches), "npy"},
                          dir_ / "log.txt"),
            0)
      << Log();
  const std::string bytes = ReadFileToString(dir_ / "ip.npy");
  ASSERT_GT(bytes.size(), 10u);
  EXPECT_EQ(bytes.substr(0, 6), std::string("\x93NUMPY", 6));
  EXPECT_EQ(bytes[6], 1);
  EXPECT_EQ(bytes[7], 0);
  const size_t header_len =
      static_cast<uint8_t>(bytes[8]) | (static_cast<size_t>(static_cast<uint8_t>(bytes[9])) << 8);
  EXPECT_EQ((10 + header_len) % 64, 0u);
  const std::string dict = bytes.substr(10, header_len);
  EXPECT_EQ(dict.back(), '\n');
  EXPECT_NE(dict.find("'descr': '<f4'"), std::string::npos) << dict;
  EXPECT_NE(dict.find("'fortran_order': False"), std::string::npos) << dict;
  EXPECT_NE(dict.find("'shape': (6, 4, 1, 1)"), std::string::npos) << dict;
  const int n = kBatch * kBatches;
  ASSERT_EQ(bytes.size(), 10 + header_len + n * 4 * sizeof(float));
  std::vector<float> values(n * 4);
  std::memcpy(values.data(), bytes.data() + 10 + header_len, values.size() * sizeof(float));
  for (int e = 0; e < n; ++e) {
    for (int o = 0; o < 4; ++o) EXPECT_NEAR(values[e * 4 + o], Ip(e, o), 1e-3);
  }
}

TEST_F(ExtractFeaturesTest, BadArgumentsAreClearErrors) {
  const std::string log = dir_ / "log.txt";
  const std::vector<std::string> base{dir_ / "w.caffemodel", dir_ / "net.prototxt"};
  auto run = [&](std::vector<std::string> rest) {
    std::vector<std::string> args = base;
    args.insert(args.end(), rest.begin(), rest.end());
    return RunToolBinary("extract_features", args, log);
  };
  EXPECT_EQ(run({"nope", dir_ / "x", "1", "lmdb"}), 1);
  EXPECT_NE(Log().find("no blob named 'nope'"), std::string::npos) << Log();
  EXPECT_EQ(run({"ip,data", dir_ / "x", "1", "lmdb"}), 1);
  EXPECT_NE(Log().find("one output per blob"), std::string::npos) << Log();
  EXPECT_EQ(run({"ip", dir_ / "x", "1", "rocksdb"}), 1);
  EXPECT_NE(Log().find("use lmdb, leveldb or npy"), std::string::npos) << Log();
  EXPECT_EQ(run({"ip", dir_ / "x", "1", "lmdb", "GPU"}), 1);
  EXPECT_NE(Log().find("no GPU support"), std::string::npos) << Log();
  EXPECT_EQ(run({"ip", dir_ / "x", "two", "lmdb"}), 1);
  EXPECT_NE(Log().find("not a number"), std::string::npos) << Log();
  EXPECT_EQ(run({"ip"}), 1);
  EXPECT_NE(Log().find("Usage"), std::string::npos) << Log();
}

TEST(NpyHeader, IsVersionOneAlignedAndDescribesTheShape) {
  const std::string header = NpyHeader({3, 2});
  EXPECT_EQ(header.size() % 64, 0u);
  EXPECT_NE(header.find("'shape': (3, 2), }"), std::string::npos) << header;
  EXPECT_NE(NpyHeader({7}).find("'shape': (7,), }"), std::string::npos);
  EXPECT_EQ(FeatureKey(42), "0000000042");
}

}  // namespace
}  // namespace testing
}  // namespace crema
