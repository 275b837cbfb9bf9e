// SSD detection nets: MobileNet-SSD's deploy and train files from the
// shared corpus build and run (the train file on a generated AnnotatedDatum
// LMDB), and a tiny SSD learns: its MultiBoxLoss falls over 50 iterations
// on generated squares.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <string>
#include <vector>

#include "crema/io/upgrade_proto.hpp"
#include "crema/math/math_functions.hpp"
#include "crema/net.hpp"
#include "crema/solver.hpp"
#include "io/compat_corpus.hpp"
#include "layers/ssd_test_data.hpp"
#include "solver/solver_test_util.hpp"
#include "support/test_util.hpp"

namespace crema {
namespace {

std::string MobileNetSsdFile(const std::string& name) {
  const std::string dir = testing::CompatCorpusDir();
  return dir.empty() ? "" : dir + "/zoo-prototxt/mobilenet_ssd/" + name;
}

TEST(MobileNetSsd, DeployRunsOnRandomWeights) {
  const std::string path = MobileNetSsdFile("MobileNetSSD_deploy.prototxt");
  if (path.empty()) GTEST_SKIP() << testing::kNoCompatCorpus;
  Crema::set_random_seed(5);
  Net net(path, TEST);
  // Random weights; the confidence heads' biases favour class 7 so that
  // some boxes pass the 0.25 threshold.
  for (const auto& layer : net.layers()) {
    const auto& blobs = layer->blobs();
    if (std::string(layer->type()) == "BatchNorm") {  // mean 0, variance 1
      cpu_set(blobs[0]->count(), 0.f, blobs[0]->mutable_cpu_data());
      cpu_set(blobs[1]->count(), 1.f, blobs[1]->mutable_cpu_data());
      blobs[2]->mutable_cpu_data()[0] = 1.f;
      continue;
    }
    for (const auto& blob : blobs) {
      rng_gaussian(blob->count(), 0.f, 0.02f, blob->mutable_cpu_data());
    }
    const std::string& name = layer->name();
    if (name.size() > 10 && name.compare(name.size() - 10, 10, "_mbox_conf") == 0) {
      float* bias = layer->blobs()[1]->mutable_cpu_data();
      for (int i = 0; i < layer->blobs()[1]->count(); ++i) bias[i] = i % 21 == 7 ? 3.f : 0.f;
    }
  }
  Blob* data = net.input_blobs()[0];
  ASSERT_EQ((std::vector<int>{1, 3, 300, 300}), data->shape());
  rng_uniform(data->count(), -1.f, 1.f, data->mutable_cpu_data());
  net.Forward();
  const Blob& out = *net.blob_by_name("detection_out");
  ASSERT_EQ(4, out.num_axes());
  EXPECT_EQ(7, out.shape(3));
  EXPECT_EQ(1917 * 4, net.blob_by_name("mbox_priorbox")->shape(2));
  ASSERT_GT(out.shape(2), 0);
  for (int i = 0; i < out.shape(2); ++i) {
    const float* row = out.cpu_data() + i * 7;
    EXPECT_EQ(0.f, row[0]);
    EXPECT_EQ(7.f, row[1]);
    EXPECT_GT(row[2], 0.25f);
  }
}

TEST(MobileNetSsd, TrainFileRunsOnGeneratedLmdb) {
  const std::string path = MobileNetSsdFile("MobileNetSSD_train.prototxt");
  if (path.empty()) GTEST_SKIP() << testing::kNoCompatCorpus;
  testing::TempDir dir;
  testing::WriteSquaresLmdb(dir / "train_lmdb", 4, 300, 3);
  NetParameter param;
  ReadNetParamsFromTextFile(path, &param);
  // The corpus file reads "trainval_lmdb/" with 24 images a batch: point it
  // at the generated set and keep the batch small.
  for (LayerParameter& layer : *param.mutable_layer()) {
    if (layer.type() != "AnnotatedData") continue;
    layer.mutable_data_param()->set_source(dir / "train_lmdb");
    layer.mutable_data_param()->set_batch_size(2);
  }
  param.mutable_state()->set_phase(TRAIN);
  Crema::set_random_seed(3);
  Net net(param);
  const float loss = net.ForwardBackward();
  EXPECT_TRUE(std::isfinite(loss));
  EXPECT_GT(loss, 0.f);
  EXPECT_EQ((std::vector<int>{2, 3, 300, 300}), net.blob_by_name("data")->shape());
  EXPECT_EQ(2, net.blob_by_name("label")->shape(2));  // one square per image
}

// A tiny SSD: three stride-2 convolutions to a 4 x 4 map, 4 priors a cell,
// two classes (background, square).
const char kTinySsd[] = R"(
name: "tiny_ssd"
layer { name: "data" type: "AnnotatedData" top: "data" top: "label"
  transform_param { scale: 0.00390625 }
  data_param { source: "SOURCE" batch_size: 8 backend: LMDB } }
layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
  convolution_param { num_output: 16 kernel_size: 3 pad: 1 stride: 2
    weight_filler { type: "msra" } } }
layer { name: "relu1" type: "ReLU" bottom: "conv1" top: "conv1" }
layer { name: "conv2" type: "Convolution" bottom: "conv1" top: "conv2"
  convolution_param { num_output: 32 kernel_size: 3 pad: 1 stride: 2
    weight_filler { type: "msra" } } }
layer { name: "relu2" type: "ReLU" bottom: "conv2" top: "conv2" }
layer { name: "conv3" type: "Convolution" bottom: "conv2" top: "conv3"
  convolution_param { num_output: 32 kernel_size: 3 pad: 1 stride: 2
    weight_filler { type: "msra" } } }
layer { name: "relu3" type: "ReLU" bottom: "conv3" top: "conv3" }
layer { name: "loc" type: "Convolution" bottom: "conv3" top: "loc"
  convolution_param { num_output: 16 kernel_size: 3 pad: 1
    weight_filler { type: "gaussian" std: 0.01 } } }
layer { name: "loc_perm" type: "Permute" bottom: "loc" top: "loc_perm"
  permute_param { order: 0 order: 2 order: 3 order: 1 } }
layer { name: "loc_flat" type: "Flatten" bottom: "loc_perm" top: "loc_flat" }
layer { name: "conf" type: "Convolution" bottom: "conv3" top: "conf"
  convolution_param { num_output: 8 kernel_size: 3 pad: 1
    weight_filler { type: "gaussian" std: 0.01 } } }
layer { name: "conf_perm" type: "Permute" bottom: "conf" top: "conf_perm"
  permute_param { order: 0 order: 2 order: 3 order: 1 } }
layer { name: "conf_flat" type: "Flatten" bottom: "conf_perm" top: "conf_flat" }
layer { name: "prior" type: "PriorBox" bottom: "conv3" bottom: "data" top: "prior"
  prior_box_param { min_size: 10 max_size: 16 aspect_ratio: 2 flip: true
    variance: 0.1 variance: 0.1 variance: 0.2 variance: 0.2 } }
layer { name: "loss" type: "MultiBoxLoss"
  bottom: "loc_flat" bottom: "conf_flat" bottom: "prior" bottom: "label" top: "loss"
  propagate_down: true propagate_down: true propagate_down: false propagate_down: false
  multibox_loss_param { num_classes: 2 code_type: CENTER_SIZE overlap_threshold: 0.5
    neg_pos_ratio: 3 } }
)";

TEST(TinySsd, MultiBoxLossFallsOver50Iterations) {
  testing::TempDir dir;
  testing::WriteSquaresLmdb(dir / "squares", 64, 32, 1);
  std::string net_text = kTinySsd;
  net_text.replace(net_text.find("SOURCE"), 6, dir / "squares");
  SolverParameter solver_param = testing::ParseText<SolverParameter>(
      "type: 'Adam' base_lr: 0.003 momentum: 0.9 momentum2: 0.999 lr_policy: 'fixed' "
      "max_iter: 50 display: 0 random_seed: 11 snapshot_after_train: false");
  *solver_param.mutable_net_param() = testing::ParseText<NetParameter>(net_text);
  std::unique_ptr<Solver> solver = CreateSolver(solver_param);
  std::vector<float> losses;
  for (int i = 0; i < 50; ++i) {
    solver->Step(1);
    losses.push_back(solver->smoothed_loss());
  }
  const float first = std::accumulate(losses.begin(), losses.begin() + 5, 0.f) / 5;
  const float last = std::accumulate(losses.end() - 5, losses.end(), 0.f) / 5;
  std::cout << "[tiny ssd] MultiBoxLoss first 5 iterations " << first << ", last 5 " << last
            << "\n";
  EXPECT_LT(last, 0.6f * first);
}

}  // namespace
}  // namespace crema
