// The numerics watch: the first NaN or infinity is named by layer, blob,
// direction and iteration; `train --on_nan=stop` keeps the last good weights.
#include <gtest/gtest.h>

#include <cmath>

#include "crema/common.hpp"
#include "crema/io/proto_io.hpp"
#include "crema/net.hpp"
#include "crema/proto/crema.pb.h"
#include "solver/child_process.hpp"
#include "solver/solver_test_util.hpp"

namespace crema {
namespace testing {
namespace {

const std::string kTrain = CREMA_BINARY_DIR "/tools/train";

// log(-1) in forward.
const char kLogOfNegative[] = R"(name: "log_net"
layer { name: "data" type: "DummyData" top: "data" top: "target"
        dummy_data_param { shape { dim: 4 dim: 1 } shape { dim: 4 dim: 1 }
                           data_filler { type: "constant" value: -1 }
                           data_filler { type: "constant" value: 0 } } }
layer { name: "log" type: "Log" bottom: "data" top: "logx" }
layer { name: "loss" type: "EuclideanLoss" bottom: "logx" bottom: "target" top: "loss" }
)";

// sqrt(0) is fine forward; its slope, 0.5 / sqrt(0), is not.
const char kSqrtOfZero[] = R"(name: "sqrt_net"
force_backward: true
layer { name: "data" type: "DummyData" top: "data" top: "target"
        dummy_data_param { shape { dim: 4 dim: 1 } shape { dim: 4 dim: 1 }
                           data_filler { type: "constant" value: 0 }
                           data_filler { type: "constant" value: 1 } } }
layer { name: "sqrt" type: "Power" bottom: "data" top: "root" power_param { power: 0.5 } }
layer { name: "loss" type: "EuclideanLoss" bottom: "root" bottom: "target" top: "loss" }
)";

// Training drives ip below zero: with w = 1, b = 0, log(ip) = 0 and target
// -10, the gradients are 10 for both, so lr 0.1 gives ip = -1 at iteration
// 1 and log(-1) = NaN. lr 1e38 instead overflows the first update to -inf.
const char kLogOfIp[] = R"(name: "log_ip"
layer { name: "data" type: "DummyData" top: "data" top: "target"
        dummy_data_param { shape { dim: 4 dim: 1 } shape { dim: 4 dim: 1 }
                           data_filler { type: "constant" value: 1 }
                           data_filler { type: "constant" value: -10 } } }
layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip"
        inner_product_param { num_output: 1 weight_filler { type: "constant" value: 1 }
                              bias_filler { type: "constant" value: 0 } } }
layer { name: "log" type: "Log" bottom: "ip" top: "logx" }
layer { name: "loss" type: "EuclideanLoss" bottom: "logx" bottom: "target" top: "loss" }
)";

std::string NonFiniteAfterPass(const char* net_text, bool check) {
  TempDir dir;
  WriteTextFile(dir / "net.prototxt", net_text);
  Net net(dir / "net.prototxt", TRAIN);
  net.set_check_numerics(check);
  net.Forward();
  net.Backward();
  return net.non_finite();
}

TEST(NumericsWatchTest, NamesTheForwardLayerAndTopBlob) {
  const std::string found = NonFiniteAfterPass(kLogOfNegative, true);
  EXPECT_EQ(found, "the forward pass of layer 'log' (Log) put NaN at element 0 of 4 x 1 (4) "
                   "into top blob 'logx'");
  EXPECT_EQ(NonFiniteAfterPass(kLogOfNegative, false), "");
}

TEST(NumericsWatchTest, NamesTheBackwardLayerAndBottomDiff) {
  const std::string found = NonFiniteAfterPass(kSqrtOfZero, true);
  EXPECT_EQ(found, "the backward pass of layer 'sqrt' (Power) put -inf at element 0 of 4 x 1 (4) "
                   "into the diff of bottom blob 'data'");
}

class NumericsTrainTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!FileExists(kTrain)) GTEST_SKIP() << "tools/train is not built";
    WriteTextFile(dir_ / "net.prototxt", kLogOfIp);
  }
  std::string WriteSolver(const std::string& name, const std::string& lr) {
    WriteTextFile(dir_ / (name + ".prototxt"),
                  StrCat("net: '", dir_ / "net.prototxt", "' base_lr: ", lr,
                         " lr_policy: 'fixed' max_iter: 5 display: 1 random_seed: 1 ",
                         "snapshot_prefix: '", dir_ / name, "'\n"));
    return "--solver=" + (dir_ / (name + ".prototxt"));
  }
  int Train(const std::vector<std::string>& args) {
    return RunChild(kTrain, args, dir_ / "log.txt");
  }
  std::string Log() const { return ReadFileToString(dir_ / "log.txt"); }
  // The ip layer's weight and bias in a snapshot.
  std::vector<float> IpWeights(const std::string& file) const {
    NetParameter param;
    ReadProtoFromBinaryFile(file, &param);
    for (const LayerParameter& layer : param.layer()) {
      if (layer.name() == "ip") return {layer.blobs(0).data(0), layer.blobs(1).data(0)};
    }
    return {};
  }

  TempDir dir_;
};

TEST_F(NumericsTrainTest, StopSnapshotsTheLastGoodWeights) {
  ASSERT_EQ(Train({WriteSolver("nan", "0.1"), "--on_nan=stop"}), 1) << Log();
  const std::string log = Log();
  EXPECT_NE(log.find("Iteration 1: the forward pass of layer 'log' (Log) put NaN at element 0 "
                     "of 4 x 1 (4) into top blob 'logx'. Training stopped (on NaN: stop) before "
                     "this iteration's update; the last good weights are in '" +
                     (dir_ / "nan_iter_1.caffemodel") + "'"),
            std::string::npos)
      << log;
  EXPECT_EQ(log.find("Optimization Done."), std::string::npos) << log;
  const std::vector<float> saved = IpWeights(dir_ / "nan_iter_1.caffemodel");
  ASSERT_EQ(saved.size(), 2u);
  EXPECT_TRUE(std::isfinite(saved[0]) && std::isfinite(saved[1]));

  // The same weights as a run without the watch that stops at iteration 1.
  ASSERT_EQ(Train({WriteSolver("clean", "0.1"), "--iterations=1"}), 0) << Log();
  EXPECT_EQ(saved, IpWeights(dir_ / "clean_iter_1.caffemodel"));
  EXPECT_EQ(saved, (std::vector<float>{0.f, -1.f}));
  // And the state resumes.
  EXPECT_EQ(Train({WriteSolver("nan", "0.1"), "--snapshot=" + (dir_ / "nan_iter_1.solverstate"),
                   "--iterations=1"}),
            0)
      << Log();
}

TEST_F(NumericsTrainTest, StopUndoesAnUpdateThatOverflows) {
  ASSERT_EQ(Train({WriteSolver("overflow", "1e38"), "--on_nan=stop"}), 1) << Log();
  const std::string log = Log();
  EXPECT_NE(log.find("Iteration 0: the update put -inf at element 0 of 1 x 1 (1) into parameter "
                     "'ip' blob 0. Training stopped (on NaN: stop) and this iteration's update "
                     "was undone"),
            std::string::npos)
      << log;
  EXPECT_EQ(IpWeights(dir_ / "overflow_iter_0.caffemodel"), (std::vector<float>{1.f, 0.f}));
}

TEST_F(NumericsTrainTest, WarnLogsAndGoesOn) {
  ASSERT_EQ(Train({WriteSolver("warn", "0.1"), "--check_numerics"}), 0) << Log();
  const std::string log = Log();
  EXPECT_NE(log.find("Iteration 1: the forward pass of layer 'log' (Log) put NaN"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("Optimization Done."), std::string::npos) << log;
  EXPECT_EQ(Train({WriteSolver("warn", "0.1"), "--on_nan=pause"}), 1);
  EXPECT_NE(Log().find("Unknown action on NaN 'pause'"), std::string::npos) << Log();
}

}  // namespace
}  // namespace testing
}  // namespace crema
