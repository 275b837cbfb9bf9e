// Every net of the shared compatibility corpus (../shared/compat) builds into
// a Net in the TEST phase, after any format upgrade, or fails with a clear
// crema::Error: an unknown layer type, or (for nets of Caffe forks) a parse
// error naming the file, line and unknown field. The SSD fork's
// MobileNet-SSD nets build: its train file, whose only data layer is a
// TRAIN-phase AnnotatedData, is built in the TRAIN phase.
//
// Data, ImageData and WindowData layers would need the datasets their nets name. Before
// building, each is replaced by an Input layer with the tops' shapes the
// dataset would give (batch x C x H x W, crop_size or new_height/new_width
// applied; MNIST 1 x 28 x 28, the siamese pairs 2 x 28 x 28, CIFAR-10
// 3 x 32 x 32, ImageNet-style sets 3 x 256 x 256; labels of shape batch),
// so the rest of the net is built and shape-checked as Caffe would. Weights
// are filled with constants (the wiring is what is checked here).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "crema/common.hpp"
#include "crema/io/upgrade_proto.hpp"
#include "crema/net.hpp"
#include "io/compat_corpus.hpp"

namespace crema {
namespace {

namespace fs = std::filesystem;

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// C, H, W of the examples a data layer reading `source` would produce.
std::vector<int> DatasetShape(const std::string& source) {
  if (Contains(source, "siamese")) return {2, 28, 28};
  if (Contains(source, "mnist")) return {1, 28, 28};
  if (Contains(source, "cifar")) return {3, 32, 32};
  return {3, 256, 256};
}

// Replaces Data, ImageData and WindowData layers by Input layers of the same tops.
void ReplaceDataLayers(NetParameter* net) {
  for (LayerParameter& layer : *net->mutable_layer()) {
    int batch = 0, height = 0, width = 0;
    std::string source;
    if (layer.type() == "Data") {
      batch = static_cast<int>(layer.data_param().batch_size());
      source = layer.data_param().source();
    } else if (layer.type() == "ImageData") {
      batch = static_cast<int>(layer.image_data_param().batch_size());
      source = layer.image_data_param().source();
      height = static_cast<int>(layer.image_data_param().new_height());
      width = static_cast<int>(layer.image_data_param().new_width());
    } else if (layer.type() == "AnnotatedData") {
      // SSD: images warped to resize_param's size; boxes 1 x 1 x G x 8.
      batch = static_cast<int>(layer.data_param().batch_size());
      height = static_cast<int>(layer.transform_param().resize_param().height());
      width = static_cast<int>(layer.transform_param().resize_param().width());
    } else if (layer.type() == "WindowData") {
      // Windows warped to crop_size (R-CNN's fine-tuning nets).
      batch = static_cast<int>(layer.window_data_param().batch_size());
      source = layer.window_data_param().source();
    } else {
      continue;
    }
    std::vector<int> shape = DatasetShape(source);
    if (height > 0 && width > 0) {
      shape[1] = height;
      shape[2] = width;
    }
    if (layer.transform_param().crop_size() > 0) {
      shape[1] = shape[2] = static_cast<int>(layer.transform_param().crop_size());
    }
    LayerParameter input;
    input.set_name(layer.name());
    input.set_type("Input");
    *input.mutable_top() = layer.top();
    *input.mutable_include() = layer.include();
    *input.mutable_exclude() = layer.exclude();
    BlobShape* data = input.mutable_input_param()->add_shape();
    data->add_dim(std::max(batch, 1));
    for (int dim : shape) data->add_dim(dim);
    if (layer.top_size() > 1 && layer.type() == "AnnotatedData") {
      BlobShape* boxes = input.mutable_input_param()->add_shape();
      for (int dim : {1, 1, 1, 8}) boxes->add_dim(dim);
    } else if (layer.top_size() > 1) {
      input.mutable_input_param()->add_shape()->add_dim(std::max(batch, 1));
    }
    layer = input;
  }
}

// Random fillers of the big nets (VGG16, ResNet-152) take seconds; what is
// checked here is the wiring, so weights are filled with constants.
void UseConstantFillers(NetParameter* net) {
  for (LayerParameter& layer : *net->mutable_layer()) {
    if (layer.has_convolution_param()) {
      layer.mutable_convolution_param()->mutable_weight_filler()->Clear();  // constant 0
    }
    if (layer.has_inner_product_param()) {
      layer.mutable_inner_product_param()->mutable_weight_filler()->Clear();  // constant 0
    }
  }
}

std::vector<std::string> NetFiles(const std::string& dir) {
  std::vector<std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (entry.is_regular_file() && entry.path().extension() == ".prototxt" &&
        !Contains(name, "solver")) {
      files.push_back(entry.path().string());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

// "built", "unknown layer type", "unknown field", or "error: ...".
std::string TryBuild(const std::string& path) {
  NetParameter param;
  try {
    ReadNetParamsFromTextFile(path, &param);
  } catch (const Error& e) {
    const std::string message = e.what();
    if (Contains(message, "no field named") || Contains(message, "has no value named")) {
      return "unknown field: " + message;
    }
    return "error: " + message;
  }
  // A net whose data comes only in the TRAIN phase is built for training.
  bool train_only = false;
  for (const LayerParameter& layer : param.layer()) {
    if (layer.type() == "AnnotatedData" && layer.include_size() > 0 &&
        layer.include(0).phase() == TRAIN) {
      train_only = true;
    }
  }
  ReplaceDataLayers(&param);
  UseConstantFillers(&param);
  param.mutable_state()->set_phase(train_only ? TRAIN : TEST);
  // Nets whose TEST data layers are chosen by stage (mnist_autoencoder:
  // 'test-on-train', 'test-on-test') are built as their solver's first
  // test_state does: with the first stage they name.
  for (const LayerParameter& layer : param.layer()) {
    for (const NetStateRule& rule : layer.include()) {
      if (param.state().stage_size() == 0 && rule.phase() == TEST && rule.stage_size() > 0) {
        param.mutable_state()->add_stage(rule.stage(0));
      }
    }
  }
  try {
    Net net(param);
    return "built";
  } catch (const Error& e) {
    const std::string message = e.what();
    if (Contains(message, "Unknown layer type")) return "unknown layer type: " + message;
    // HDF5Data reads its file list while it is set up; the corpus ships the
    // nets without their data, so a clear "cannot open" naming the source is
    // the expected outcome there.
    if (Contains(message, "(HDF5Data)") && Contains(message, "source")) {
      return "missing data source: " + message;
    }
    return "error: " + message;
  }
}

TEST(CompatCorpusBuild, EveryNetBuildsOrFailsClearly) {
  const std::string dir = testing::CompatCorpusDir();
  if (dir.empty()) GTEST_SKIP() << testing::kNoCompatCorpus;
  google::LogSeverity saved = FLAGS_minloglevel;
  FLAGS_minloglevel = google::WARNING;  // the nets' build logs are long
  std::map<std::string, int> tally;
  std::map<std::string, std::string> outcome;
  for (const std::string& path : NetFiles(dir)) {
    const std::string result = TryBuild(path);
    outcome[path] = result;
    const std::string kind = result.substr(0, result.find(':'));
    ++tally[kind];
    std::cout << "[compat] " << fs::relative(path, dir).string() << ": "
              << result.substr(0, 300) << "\n";
    EXPECT_NE(kind, "error") << path << ": " << result;
  }
  FLAGS_minloglevel = saved;
  for (const auto& [kind, count] : tally) std::cout << "[compat] " << kind << ": " << count << "\n";

  // The nets that must build: LeNet, AlexNet, CaffeNet, GoogLeNet, CIFAR-10.
  const std::vector<std::string> required = {
      "caffe-prototxt/examples/mnist/lenet.prototxt",
      "caffe-prototxt/examples/mnist/lenet_train_test.prototxt",
      "caffe-prototxt/models/bvlc_alexnet/deploy.prototxt",
      "caffe-prototxt/models/bvlc_alexnet/train_val.prototxt",
      "caffe-prototxt/models/bvlc_reference_caffenet/deploy.prototxt",
      "caffe-prototxt/models/bvlc_reference_caffenet/train_val.prototxt",
      "caffe-prototxt/models/bvlc_googlenet/deploy.prototxt",
      "caffe-prototxt/models/bvlc_googlenet/train_val.prototxt",
      "caffe-prototxt/examples/cifar10/cifar10_quick.prototxt",
      "caffe-prototxt/examples/cifar10/cifar10_quick_train_test.prototxt",
      "caffe-prototxt/examples/cifar10/cifar10_full.prototxt",
      "caffe-prototxt/examples/cifar10/cifar10_full_train_test.prototxt",
      "caffe-prototxt/legacy/v1-2015-02-05/examples/mnist/lenet_train_test.prototxt",
      "caffe-prototxt/legacy/v1-2015-02-05/examples/cifar10/cifar10_quick_train_test.prototxt",
      "zoo-prototxt/vgg16/VGG_ILSVRC_16_layers_deploy.prototxt",
      "zoo-prototxt/mobilenet_ssd/MobileNetSSD_deploy.prototxt",
      "zoo-prototxt/mobilenet_ssd/MobileNetSSD_train.prototxt",
  };
  for (const std::string& relative : required) {
    const std::string path = (fs::path(dir) / relative).string();
    ASSERT_TRUE(outcome.count(path)) << "missing from the corpus: " << relative;
    EXPECT_EQ(outcome[path], "built") << relative;
  }
  EXPECT_GT(tally["built"], 50);
}


int64_t LearnableCount(const Net& net) {
  int64_t total = 0;
  for (const Blob* blob : net.learnable_params()) total += blob->count();
  return total;
}

// The zoo's train_val nets (with their Data layers replaced as above) build
// in both phases with the deploy nets' parameters, and the solvers parse.
TEST(ZooTrainVal, BuildsAndMatchesDeploy) {
  google::LogSeverity saved = FLAGS_minloglevel;
  FLAGS_minloglevel = google::WARNING;
  const std::string models = std::string(CREMA_SOURCE_DIR) + "/models/";
  for (const char* model : {"alexnet", "caffenet", "vgg16"}) {
    SCOPED_TRACE(model);
    const std::string dir = models + model + "/";
    NetParameter param;
    ReadNetParamsFromTextFile(dir + "train_val.prototxt", &param);
    ReplaceDataLayers(&param);
    UseConstantFillers(&param);
    Net deploy(dir + "deploy.prototxt", TEST);
    for (Phase phase : {TRAIN, TEST}) {
      NetParameter phased = param;
      phased.mutable_state()->set_phase(phase);
      // Full batches are large; one example checks the wiring.
      for (LayerParameter& layer : *phased.mutable_layer()) {
        if (layer.type() == "Input") {
          for (BlobShape& shape : *layer.mutable_input_param()->mutable_shape()) {
            shape.set_dim(0, 1);
          }
        }
      }
      Net net(phased);
      EXPECT_EQ(LearnableCount(net), LearnableCount(deploy));
      EXPECT_EQ(net.has_blob("accuracy_top5"), phase == TEST);
    }
    SolverParameter solver;
    ReadSolverParamsFromTextFile(dir + "solver.prototxt", &solver);
    EXPECT_EQ(solver.net(), "models/" + std::string(model) + "/train_val.prototxt");
    EXPECT_EQ(solver.momentum(), 0.9f);
    EXPECT_EQ(solver.weight_decay(), 0.0005f);
    EXPECT_EQ(solver.base_lr(), 0.01f);
  }
  Net caffenet(models + "caffenet/deploy.prototxt", TEST);
  EXPECT_EQ(LearnableCount(caffenet), 60965224);
  EXPECT_EQ(caffenet.blob_by_name("norm2")->shape(), std::vector<int>({10, 256, 13, 13}));
  FLAGS_minloglevel = saved;
}

}  // namespace
}  // namespace crema
