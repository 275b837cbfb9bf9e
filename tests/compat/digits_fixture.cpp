#include "compat/digits_fixture.hpp"

#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "compat/tool_runner.hpp"
#include "crema/common.hpp"
#include "crema/io/proto_io.hpp"
#include "crema/net.hpp"
#include "crema/net_score.hpp"

namespace crema {
namespace testing {

namespace fs = std::filesystem;

std::string SmallLeNet(const std::string& train_lmdb, const std::string& test_lmdb,
                       const std::string& classifier, int classes, float lr_mult) {
  return StrCat(R"(name: "SmallLeNet"
layer { name: "data" type: "Data" top: "data" top: "label" include { phase: TRAIN }
  transform_param { scale: 0.00390625 }
  data_param { source: ")", train_lmdb, R"(" batch_size: 32 backend: LMDB } }
layer { name: "data" type: "Data" top: "data" top: "label" include { phase: TEST }
  transform_param { scale: 0.00390625 }
  data_param { source: ")", test_lmdb, R"(" batch_size: 50 backend: LMDB } }
layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
  convolution_param { num_output: 8 kernel_size: 5 weight_filler { type: "xavier" } } }
layer { name: "pool1" type: "Pooling" bottom: "conv1" top: "pool1"
  pooling_param { pool: MAX kernel_size: 2 stride: 2 } }
layer { name: "conv2" type: "Convolution" bottom: "pool1" top: "conv2"
  convolution_param { num_output: 16 kernel_size: 5 weight_filler { type: "xavier" } } }
layer { name: "pool2" type: "Pooling" bottom: "conv2" top: "pool2"
  pooling_param { pool: MAX kernel_size: 2 stride: 2 } }
layer { name: "ip1" type: "InnerProduct" bottom: "pool2" top: "ip1"
  inner_product_param { num_output: 64 weight_filler { type: "xavier" } } }
layer { name: "relu1" type: "ReLU" bottom: "ip1" top: "ip1" }
layer { name: ")", classifier, R"(" type: "InnerProduct" bottom: "ip1" top: "score"
  param { lr_mult: )", lr_mult, R"( } param { lr_mult: )", 2 * lr_mult, R"( }
  inner_product_param { num_output: )", classes, R"( weight_filler { type: "xavier" } } }
layer { name: "loss" type: "SoftmaxWithLoss" bottom: "score" bottom: "label" top: "loss" }
layer { name: "accuracy" type: "Accuracy" bottom: "score" bottom: "label" top: "accuracy"
  include { phase: TEST } }
)");
}

std::string SmallSolver(const std::string& net, const std::string& prefix, int max_iter,
                        float base_lr) {
  return StrCat("net: \"", net, "\"\n", "test_iter: 4\ntest_interval: 1000000\n",
                "test_initialization: false\n", "base_lr: ", base_lr, "\n",
                "lr_policy: \"fixed\"\nmomentum: 0.9\nweight_decay: 0.0005\n",
                "display: 50\nmax_iter: ", max_iter, "\n", "snapshot_prefix: \"", prefix,
                "\"\nrandom_seed: 1\nsolver_mode: CPU\n");
}

namespace {

void WriteFile(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

std::string Setup(DigitsFixture* f) {
  for (const char* tool : {"generate_digits", "convert_imageset", "train"}) {
    if (!FileExists(ToolPath(tool))) return StrCat("tools/", tool, " is not built");
  }
  std::string pattern = (fs::temp_directory_path() / "crema_digits_XXXXXX").string();
  if (!::mkdtemp(pattern.data())) return "cannot create a temporary folder";
  f->dir = pattern;
  f->images = f->dir + "/digits";
  f->log = f->dir + "/tools.log";
  if (RunToolBinary("generate_digits", {"--train_per_class=100", "--test_per_class=40",
                                        "--seed=7", f->images},
                    f->log) != 0) {
    return "generate_digits failed";
  }
  // Digits 0-4 and 5-9 become two image folders (one subfolder per class).
  for (const char* part : {"train", "test"}) {
    for (int digit = 0; digit < 10; ++digit) {
      const std::string set = digit < 5 ? "/pre_" : "/fine_";
      fs::create_directories(f->dir + set + part);
      fs::rename(StrCat(f->images, "/", part, "/", digit),
                 StrCat(f->dir, set, part, "/", digit));
    }
  }
  for (const char* set : {"pre_train", "pre_test", "fine_train", "fine_test"}) {
    if (RunToolBinary("convert_imageset", {"--gray", "--shuffle", f->dir + "/" + set,
                                           f->dir + "/" + set + "_lmdb"},
                      f->log) != 0) {
      return StrCat("convert_imageset failed for ", set);
    }
  }
  f->pre_labels = f->dir + "/pre_train_lmdb/labels.txt";
  const std::string net = f->dir + "/pre_train_val.prototxt";
  WriteFile(net, SmallLeNet(f->dir + "/pre_train_lmdb", f->dir + "/pre_test_lmdb", "ip2", 5, 1));
  WriteFile(f->dir + "/pre_solver.prototxt", SmallSolver(net, f->dir + "/pre", 300, 0.01f));
  if (RunToolBinary("train", {"--solver=" + f->dir + "/pre_solver.prototxt"}, f->log) != 0) {
    return "pretraining failed";
  }
  f->pre_weights = f->dir + "/pre_iter_300.caffemodel";
  if (!FileExists(f->pre_weights)) return "pretraining wrote no " + f->pre_weights;

  // The deploy net: the train_val's layers between the data and the loss.
  f->deploy = f->dir + "/deploy.prototxt";
  std::string deploy = SmallLeNet("", "", "ip2", 5, 1);
  deploy = deploy.substr(deploy.find("layer { name: \"conv1\""));
  deploy = deploy.substr(0, deploy.find("layer { name: \"loss\""));
  WriteFile(f->deploy,
            "name: \"SmallLeNet\"\n"
            "layer { name: \"data\" type: \"Input\" top: \"data\"\n"
            "  input_param { shape { dim: 1 dim: 1 dim: 28 dim: 28 } } }\n" +
                deploy + "layer { name: \"prob\" type: \"Softmax\" bottom: \"score\" top: \"prob\" }\n");
  return "";
}

struct FixtureHolder {
  DigitsFixture fixture;
  ~FixtureHolder() {
    std::error_code ignored;
    if (!fixture.dir.empty()) fs::remove_all(fixture.dir, ignored);
  }
};

}  // namespace

const DigitsFixture& GetDigitsFixture() {
  static FixtureHolder holder;
  static bool done = false;
  if (!done) {
    done = true;
    holder.fixture.error = Setup(&holder.fixture);
    if (!holder.fixture.error.empty() && !holder.fixture.log.empty() &&
        FileExists(holder.fixture.log)) {
      holder.fixture.error += "\n" + ReadFileToString(holder.fixture.log);
    }
  }
  return holder.fixture;
}

void ScoreTrainVal(const std::string& train_val, const std::string& weights, int batches,
                   float* accuracy, float* loss) {
  Net net(train_val, TEST);
  net.CopyTrainedLayersFrom(weights);
  const NetScores scores = ScoreNet(&net, batches);
  *accuracy = *loss = -1;
  for (size_t i = 0; i < scores.names.size(); ++i) {
    if (scores.names[i] == "accuracy") *accuracy = scores.means[i];
    if (scores.names[i] == "loss") *loss = scores.means[i];
  }
}

}  // namespace testing
}  // namespace crema
