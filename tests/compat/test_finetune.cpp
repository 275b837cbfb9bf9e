// Fine-tuning end to end with the tools: a small LeNet pretrained on
// generated digits 0-4 is fine-tuned to digits 5-9 with --weights and a
// renamed classifier; it beats the same net and solver trained from scratch
// for the same number of iterations, and the log says which layers were
// copied and which kept their initial values. Then classify labels digit
// images with the pretrained net.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

#include "compat/digits_fixture.hpp"
#include "compat/tool_runner.hpp"
#include "crema/classifier.hpp"
#include "crema/common.hpp"
#include "crema/io/proto_io.hpp"

namespace crema {
namespace testing {
namespace {

namespace fs = std::filesystem;

void WriteFile(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

TEST(FineTune, PretrainedFeaturesBeatScratchOnNewClasses) {
  const DigitsFixture& f = GetDigitsFixture();
  if (!f.error.empty()) {
    if (f.error.find("is not built") != std::string::npos) GTEST_SKIP() << f.error;
    FAIL() << f.error;
  }
  float pre_accuracy = 0, pre_loss = 0;
  ScoreTrainVal(f.dir + "/pre_train_val.prototxt", f.pre_weights, 4, &pre_accuracy, &pre_loss);
  EXPECT_GT(pre_accuracy, 0.9) << "pretraining on digits 0-4 did not learn";

  // Caffe's recipe: rename the classifier, set its outputs, raise its lr_mult.
  const std::string net = f.dir + "/fine_train_val.prototxt";
  WriteFile(net, SmallLeNet(f.dir + "/fine_train_lmdb", f.dir + "/fine_test_lmdb",
                            "ip2_digits59", 5, 10));
  const int iterations = 200;
  const float base_lr = 0.001f;
  WriteFile(f.dir + "/fine_solver.prototxt",
            SmallSolver(net, f.dir + "/fine", iterations, base_lr));
  WriteFile(f.dir + "/scratch_solver.prototxt",
            SmallSolver(net, f.dir + "/scratch", iterations, base_lr));
  const std::string fine_log = f.dir + "/fine.log";
  ASSERT_EQ(RunToolBinary("train", {"--solver=" + f.dir + "/fine_solver.prototxt",
                                    "--weights=" + f.pre_weights},
                          fine_log),
            0)
      << ReadFileToString(fine_log);
  ASSERT_EQ(RunToolBinary("train", {"--solver=" + f.dir + "/scratch_solver.prototxt"},
                          f.dir + "/scratch.log"),
            0)
      << ReadFileToString(f.dir + "/scratch.log");

  // The log names the copied layers and the one that kept its filler.
  const std::string log = ReadFileToString(fine_log);
  for (const char* layer : {"conv1", "conv2", "ip1"}) {
    EXPECT_NE(log.find(StrCat("Copying weights of layer ", layer)), std::string::npos)
        << layer << "\n" << log;
  }
  EXPECT_NE(log.find("Ignoring source layer ip2"), std::string::npos) << log;
  EXPECT_NE(log.find("Layer ip2_digits59 is not in the weights"), std::string::npos) << log;
  EXPECT_EQ(log.find("Copying weights of layer ip2_digits59"), std::string::npos) << log;

  float fine_accuracy = 0, fine_loss = 0, scratch_accuracy = 0, scratch_loss = 0;
  ScoreTrainVal(net, StrCat(f.dir, "/fine_iter_", iterations, ".caffemodel"), 4,
                &fine_accuracy, &fine_loss);
  ScoreTrainVal(net, StrCat(f.dir, "/scratch_iter_", iterations, ".caffemodel"), 4,
                &scratch_accuracy, &scratch_loss);
  std::cout << "[finetune] pretrained on 0-4: accuracy " << pre_accuracy << "\n"
            << "[finetune] 5-9 after " << iterations << " iterations: fine-tuned accuracy "
            << fine_accuracy << " loss " << fine_loss << "; from scratch accuracy "
            << scratch_accuracy << " loss " << scratch_loss << "\n";
  EXPECT_GT(fine_accuracy, scratch_accuracy);
  EXPECT_LT(fine_loss, scratch_loss);
  EXPECT_GT(fine_accuracy, 0.8);
}

TEST(ClassifyTool, LabelsGeneratedDigits) {
  const DigitsFixture& f = GetDigitsFixture();
  if (!f.error.empty()) {
    if (f.error.find("is not built") != std::string::npos) GTEST_SKIP() << f.error;
    FAIL() << f.error;
  }
  if (!FileExists(ToolPath("classify"))) GTEST_SKIP() << "tools/classify is not built";
  // Two test images of every digit 0-4 through the tool, in batches of 3.
  std::vector<std::string> images;
  std::vector<int> truth;
  for (int digit = 0; digit < 5; ++digit) {
    std::vector<std::string> files;
    for (const auto& entry : fs::directory_iterator(StrCat(f.dir, "/pre_test/", digit))) {
      files.push_back(entry.path().string());
    }
    std::sort(files.begin(), files.end());
    ASSERT_GE(files.size(), 2u);
    for (int i = 0; i < 2; ++i) {
      images.push_back(files[i]);
      truth.push_back(digit);
    }
  }
  const std::string log = f.dir + "/classify.log";
  std::vector<std::string> args{"--model=" + f.deploy, "--weights=" + f.pre_weights,
                                "--labels=" + f.pre_labels, "--scale=0.00390625",
                                "--batch=3", "--top_k=3"};
  args.insert(args.end(), images.begin(), images.end());
  fs::remove(log);
  ASSERT_EQ(RunToolBinary("classify", args, log), 0) << ReadFileToString(log);
  const std::string output = ReadFileToString(log);
  // "---------- Prediction for PATH ----------" then top_k lines 'P - "label"'.
  int correct = 0;
  for (size_t i = 0; i < images.size(); ++i) {
    const std::string header = "---------- Prediction for " + images[i] + " ----------\n";
    const size_t at = output.find(header);
    ASSERT_NE(at, std::string::npos) << output;
    std::smatch m;
    const std::string rest = output.substr(at + header.size());
    ASSERT_TRUE(std::regex_search(rest, m, std::regex("^([0-9.]+) - \"([0-9])\"\n")))
        << rest.substr(0, 200);
    EXPECT_GT(std::stof(m[1].str()), 0.2f);
    if (std::stoi(m[2].str()) == truth[i]) ++correct;
  }
  EXPECT_GE(correct, 9) << output;

  // The library on every 0-4 test image: a trained LeNet labels them well.
  ClassifierOptions options;
  options.model_file = f.deploy;
  options.weights_files = {f.pre_weights};
  options.labels_file = f.pre_labels;
  options.scale = 0.00390625f;
  Classifier classifier(options);
  int total = 0, right = 0;
  for (int digit = 0; digit < 5; ++digit) {
    std::vector<std::string> files;
    for (const auto& entry : fs::directory_iterator(StrCat(f.dir, "/pre_test/", digit))) {
      files.push_back(entry.path().string());
    }
    for (const auto& top : classifier.ClassifyFiles(files, 1, 16)) {
      ++total;
      right += top[0].name == std::to_string(digit);
    }
  }
  EXPECT_GE(right, 0.9 * total) << right << " of " << total;
}

}  // namespace
}  // namespace testing
}  // namespace crema
