// LeNet trained on generated digits through tools/train, once on the
// default engines (DNNL where built) and once with every layer forced to the
// reference engine: the same seed and data must reach the same accuracy.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "crema/common.hpp"
#include "crema/io/proto_io.hpp"
#include "crema/layer_registry.hpp"
#include "e2e/e2e_util.hpp"
#include "solver/solver_test_util.hpp"

namespace crema {
namespace testing {
namespace {

void ForceReference(NetParameter* net) {
  for (LayerParameter& layer : *net->mutable_layer()) {
    const std::string& type = layer.type();
    if (type == "Convolution") {
      layer.mutable_convolution_param()->set_engine(ConvolutionParameter::CAFFE);
    } else if (type == "Pooling") {
      layer.mutable_pooling_param()->set_engine(PoolingParameter::CAFFE);
    } else if (type == "ReLU") {
      layer.mutable_relu_param()->set_engine(ReLUParameter::CAFFE);
    } else if (type == "InnerProduct") {
      layer.mutable_inner_product_param()->set_engine(InnerProductParameter::CAFFE);
    }
  }
}

float Train(const TempDir& dir, const std::string& name, const NetParameter& net) {
  WriteProtoToTextFile(net, dir / (name + ".prototxt"));
  WriteTextFile(dir / (name + "_solver.prototxt"),
                StrCat("net: '", dir / (name + ".prototxt"), "'\n",
                       "base_lr: 0.01 momentum: 0.9 weight_decay: 0.0005\n",
                       "lr_policy: 'inv' gamma: 0.0001 power: 0.75\n",
                       "max_iter: 150 display: 50 test_iter: 3 test_interval: 150\n",
                       "snapshot_prefix: '", dir / name, "' random_seed: 1701\n"));
  const std::string log = dir / (name + ".log");
  EXPECT_EQ(RunToolFor(kTrainTool, {"--solver=" + (dir / (name + "_solver.prototxt"))},
                       log, 170),
            0)
      << ReadFileToString(log);
  return LastTestOutput(ReadFileToString(log), "accuracy");
}

TEST(DnnlTraining, LeNetReachesTheReferenceAccuracy) {
  const auto engines = LayerRegistry::Engines("Convolution");
  if (std::find(engines.begin(), engines.end(), "DNNL") == engines.end()) {
    GTEST_SKIP() << "crema was built without oneDNN";
  }
  if (!FileExists(kTrainTool)) GTEST_SKIP() << "tools/train is not built";
  // One thread per tool, as the suites run: ctest runs tests side by side.
  setenv("OMP_NUM_THREADS", "1", /*overwrite=*/0);
  TempDir dir;
  MakeDigitLmdbs(dir.path(), 100, 30);  // 1000 train, 300 test images
  const NetParameter net = LeNetOn(dir / "train_lmdb", dir / "test_lmdb", 64, 100);
  NetParameter reference = net;
  ForceReference(&reference);
  const float fast = Train(dir, "dnnl", net);
  const float ref = Train(dir, "reference", reference);
  std::printf("LeNet accuracy after 150 iterations: DNNL %.4f, reference %.4f\n", fast, ref);
  EXPECT_GT(ref, 0.7f);
  EXPECT_GT(fast, 0.7f);
  // Same seed and data order; only rounding differs between the engines.
  EXPECT_LE(std::fabs(fast - ref), 0.04f);
}

}  // namespace
}  // namespace testing
}  // namespace crema
