// The `make demo` pipeline, shortened, then tools/classify on its LeNet:
// generate_digits, convert_imageset in folder mode, compute_image_mean,
// train on models/lenet/lenet_digits_train_test.prototxt (paths moved into
// a temporary folder, fewer iterations), and classify with
// models/lenet/deploy.prototxt, the mean image and labels.txt.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include "crema/common.hpp"
#include "crema/io/proto_io.hpp"
#include "crema/proto/crema.pb.h"
#include "e2e/e2e_util.hpp"
#include "solver/solver_test_util.hpp"

namespace crema {
namespace testing {
namespace {

namespace fs = std::filesystem;

std::string Tool(const std::string& name) { return std::string(CREMA_BINARY_DIR) + "/tools/" + name; }

// Replaces every occurrence of `from` in text by `to`; returns how many.
int ReplaceAll(std::string* text, const std::string& from, const std::string& to) {
  int count = 0;
  for (size_t at = text->find(from); at != std::string::npos;
       at = text->find(from, at + to.size())) {
    text->replace(at, from.size(), to);
    ++count;
  }
  return count;
}

TEST(LeNetDemoTest, ClassifyLabelsDigitsWithTheDemoNetAndMean) {
  for (const char* tool :
       {"generate_digits", "convert_imageset", "compute_image_mean", "train", "classify"}) {
    if (!FileExists(Tool(tool))) GTEST_SKIP() << "tools/" << tool << " is not built";
  }
  TempDir dir;
  const std::string log = dir / "tools.log";
  const auto run = [&](const std::string& tool, const std::vector<std::string>& args,
                       double seconds) {
    return RunToolFor(Tool(tool), args, log, seconds);
  };
  // As scripts/demo.sh, with 100 training and 10 test images per digit.
  ASSERT_EQ(run("generate_digits",
                {"--train_per_class=100", "--test_per_class=10", "--seed=1", dir / "digits"},
                60),
            0)
      << ReadFileToString(log);
  ASSERT_EQ(run("convert_imageset",
                {"--gray", "--shuffle", dir / "digits/train", dir / "digits_train_lmdb"}, 60),
            0)
      << ReadFileToString(log);
  ASSERT_EQ(run("convert_imageset", {"--gray", dir / "digits/test", dir / "digits_test_lmdb"},
                60),
            0)
      << ReadFileToString(log);
  ASSERT_EQ(run("compute_image_mean",
                {dir / "digits_train_lmdb", dir / "digits_mean.binaryproto"}, 60),
            0)
      << ReadFileToString(log);

  // The demo's net and solver with data/generated/ moved to the temporary folder.
  std::string net =
      ReadFileToString(CREMA_SOURCE_DIR "/models/lenet/lenet_digits_train_test.prototxt");
  ASSERT_EQ(ReplaceAll(&net, "\"data/generated/", "\"" + dir.path() + "/"), 4)
      << "expected two sources and two mean files under data/generated/";
  WriteTextFile(dir / "lenet_digits_train_test.prototxt", net);
  SolverParameter solver;
  ReadProtoFromTextFile(CREMA_SOURCE_DIR "/models/lenet/lenet_digits_solver.prototxt", &solver);
  solver.set_net(dir / "lenet_digits_train_test.prototxt");
  solver.set_snapshot_prefix(dir / "lenet_digits");
  solver.set_max_iter(200);
  solver.set_display(50);
  solver.clear_test_iter();
  solver.add_test_iter(1);  // the 100 test images
  solver.set_test_interval(200);
  WriteProtoToTextFile(solver, dir / "solver.prototxt");
  ASSERT_EQ(run("train", {"--solver=" + (dir / "solver.prototxt")}, 170), 0)
      << ReadFileToString(log);
  const std::string weights = dir / "lenet_digits_iter_200.caffemodel";
  ASSERT_TRUE(FileExists(weights)) << ReadFileToString(log);
  const float accuracy = LastTestOutput(ReadFileToString(log), "accuracy");
  EXPECT_GT(accuracy, 0.7f) << ReadFileToString(log);

  // Two test images of every digit; classify reads them as the Data layer
  // did: minus the mean image, times the scale.
  std::vector<std::string> images;
  std::vector<std::string> truth;
  for (int digit = 0; digit < 10; ++digit) {
    std::vector<std::string> files;
    for (const auto& entry : fs::directory_iterator(StrCat(dir.path(), "/digits/test/", digit))) {
      files.push_back(entry.path().string());
    }
    std::sort(files.begin(), files.end());
    ASSERT_GE(files.size(), 2u);
    for (int i = 0; i < 2; ++i) {
      images.push_back(files[i]);
      truth.push_back(std::to_string(digit));
    }
  }
  const std::string classify_log = dir / "classify.log";
  std::vector<std::string> args{"--model=" CREMA_SOURCE_DIR "/models/lenet/deploy.prototxt",
                                "--weights=" + weights,
                                "--mean=" + (dir / "digits_mean.binaryproto"),
                                "--labels=" + (dir / "digits_train_lmdb/labels.txt"),
                                "--scale=0.00390625",
                                "--batch=8",
                                "--top_k=2"};
  args.insert(args.end(), images.begin(), images.end());
  ASSERT_EQ(RunToolFor(Tool("classify"), args, classify_log, 60), 0)
      << ReadFileToString(classify_log);
  const std::string output = ReadFileToString(classify_log);
  int correct = 0;
  for (size_t i = 0; i < images.size(); ++i) {
    const std::string header = "---------- Prediction for " + images[i] + " ----------\n";
    const size_t at = output.find(header);
    ASSERT_NE(at, std::string::npos) << output;
    const std::string rest = output.substr(at + header.size());
    std::smatch m;
    ASSERT_TRUE(std::regex_search(rest, m, std::regex("^([0-9.]+) - \"([0-9])\"\n")))
        << rest.substr(0, 200);
    if (m[2].str() == truth[i]) ++correct;
  }
  EXPECT_GE(correct, 16) << output;
}

}  // namespace
}  // namespace testing
}  // namespace crema
