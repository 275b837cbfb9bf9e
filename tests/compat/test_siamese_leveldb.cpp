// Caffe's siamese example (examples/siamese/mnist_siamese_train_test.prototxt
// from the shared corpus) trains as it is: its Data layers name no backend,
// so they read Caffe's default, LevelDB, here pairs written by
// ConvertMnistSiamese from generated digits; Slice splits each pair, two
// towers share their parameters by name, ContrastiveLoss compares them.
#include <gtest/gtest.h>

#include <opencv2/core.hpp>

#include <fstream>
#include <iostream>
#include <string>

#include "crema/common.hpp"
#include "crema/data/digits.hpp"
#include "crema/data/mnist.hpp"
#include "crema/io/proto_io.hpp"
#include "crema/io/upgrade_proto.hpp"
#include "crema/net.hpp"
#include "crema/solver.hpp"
#include "data/data_test_util.hpp"
#include "support/test_util.hpp"

namespace crema {
namespace {

using testing::ScratchDir;
using testing::SharedPath;

const char kExample[] = "compat/caffe-prototxt/examples/siamese/";

void PutBigEndian(uint32_t value, std::string* out) {
  for (int shift = 24; shift >= 0; shift -= 8) out->push_back(static_cast<char>(value >> shift));
}

// n generated 28 x 28 digits (digit i % 10) as MNIST idx files at prefix.
void WriteDigitIdx(const std::string& prefix, int n, uint64_t seed) {
  std::string images, labels;
  for (uint32_t v : {2051u, static_cast<uint32_t>(n), 28u, 28u}) PutBigEndian(v, &images);
  for (uint32_t v : {2049u, static_cast<uint32_t>(n)}) PutBigEndian(v, &labels);
  cv::RNG rng(seed);
  for (int i = 0; i < n; ++i) {
    const cv::Mat digit = RenderDigit(i % 10, 28, &rng);
    images.append(reinterpret_cast<const char*>(digit.data), 28 * 28);
    labels.push_back(static_cast<char>(i % 10));
  }
  std::ofstream(prefix + "-images", std::ios::binary) << images;
  std::ofstream(prefix + "-labels", std::ios::binary) << labels;
}

TEST(SiameseLevelDB, CaffeExampleTrainsAndItsLossFalls) {
  const std::string net_file =
      SharedPath(std::string(kExample) + "mnist_siamese_train_test.prototxt");
  const std::string solver_file =
      SharedPath(std::string(kExample) + "mnist_siamese_solver.prototxt");
  if (net_file.empty() || solver_file.empty()) {
    GTEST_SKIP() << "../shared/" << kExample << " (Caffe's siamese example) is not present";
  }
  ScratchDir dir;
  WriteDigitIdx(dir / "train", 1000, 1);
  WriteDigitIdx(dir / "test", 300, 2);
  SiameseOptions options;  // LevelDB, as Caffe's create_mnist_siamese.sh makes
  options.seed = 5;
  ConvertMnistSiamese(dir / "train-images", dir / "train-labels", dir / "train_leveldb",
                      options);
  options.pairs = 200;
  ConvertMnistSiamese(dir / "test-images", dir / "test-labels", dir / "test_leveldb", options);

  NetParameter net;
  ReadNetParamsFromTextFile(net_file, &net);
  int data_layers = 0;
  for (LayerParameter& layer : *net.mutable_layer()) {
    if (layer.type() != "Data") continue;
    ++data_layers;
    EXPECT_FALSE(layer.data_param().has_backend()) << "the example relies on the default";
    const bool train = layer.include(0).phase() == TRAIN;
    layer.mutable_data_param()->set_source(dir / (train ? "train_leveldb" : "test_leveldb"));
    // Half the example's training batch keeps the test short on a small CPU.
    if (train) layer.mutable_data_param()->set_batch_size(32);
  }
  ASSERT_EQ(data_layers, 2);

  // Caffe's solver, shortened; its learning-rate policy and momentum kept.
  SolverParameter solver;
  ReadProtoFromTextFile(solver_file, &solver);
  solver.clear_net();
  *solver.mutable_net_param() = net;
  solver.set_solver_mode(SolverParameter::CPU);
  solver.set_max_iter(120);
  solver.set_test_iter(0, 2);  // 200 test pairs
  solver.set_test_interval(1000000);
  solver.set_test_initialization(false);
  solver.set_display(0);
  solver.set_snapshot(0);
  solver.set_snapshot_prefix(dir / "siamese");
  Crema::set_random_seed(1701);
  std::unique_ptr<Solver> trainer = CreateSolver(solver);
  trainer->TestAll();
  const float before = trainer->test_scores()[0][0];
  trainer->Step(120);
  trainer->TestAll();
  const float after = trainer->test_scores()[0][0];
  std::cout << "[siamese] contrastive loss on test pairs: " << before << " before, " << after
            << " after 120 iterations\n";
  EXPECT_LT(after, 0.7f * before);
  // The towers share conv1's weights by name: one set of values.
  Net& train_net = trainer->net();
  EXPECT_EQ(train_net.layer_by_name("conv1")->blobs()[0]->cpu_data(),
            train_net.layer_by_name("conv1_p")->blobs()[0]->cpu_data());
}

}  // namespace
}  // namespace crema
