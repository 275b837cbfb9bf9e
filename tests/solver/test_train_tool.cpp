// The train and test tools end to end on a net without layers (the tools
// binaries carry no test-only layers): flags, errors, and SIGINT leaving a
// snapshot that resumes.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "crema/common.hpp"
#include "crema/io/proto_io.hpp"
#include "crema/net.hpp"
#include "crema/proto/crema.pb.h"
#include "solver/solver_test_util.hpp"

extern char** environ;

namespace crema {
namespace testing {
namespace {

const std::string kTrain = CREMA_BINARY_DIR "/tools/train";
const std::string kTest = CREMA_BINARY_DIR "/tools/test";

// Starts `binary args...` with stdout and stderr going to log; returns the pid.
pid_t Spawn(const std::string& binary, const std::vector<std::string>& args,
            const std::string& log) {
  std::vector<std::string> all{binary};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& arg : all) argv.push_back(arg.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, binary.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  return rc == 0 ? pid : -1;
}

// Waits up to `seconds` for pid; returns its exit code, or -1 (killed, timeout).
int Wait(pid_t pid, double seconds = 60) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int RunTool(const std::string& binary, const std::vector<std::string>& args, const std::string& log) {
  const pid_t pid = Spawn(binary, args, log);
  return pid < 0 ? -1 : Wait(pid);
}

class TrainToolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!FileExists(kTrain) || !FileExists(kTest)) GTEST_SKIP() << "tools not built";
    WriteTextFile(dir_ / "net.prototxt", "name: 'empty'\n");
    WriteTextFile(dir_ / "solver.prototxt",
                  StrCat("net: 'net.prototxt' base_lr: 0.01 lr_policy: 'fixed'\n",
                         "max_iter: 2000000000 display: 0 snapshot_prefix: '", dir_ / "run",
                         "'\n"));
  }
  std::string Log() const { return ReadFileToString(dir_ / "log.txt"); }

  TempDir dir_;
};

TEST_F(TrainToolTest, SigintSnapshotsStopsCleanlyAndResumes) {
  const pid_t pid = Spawn(kTrain, {"--solver=" + (dir_ / "solver.prototxt")}, dir_ / "log.txt");
  ASSERT_GT(pid, 0);
  // Signal once the loop runs (the handler is in place by then).
  for (int i = 0; i < 1000 && Log().find("Solving empty") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  kill(pid, SIGINT);
  ASSERT_EQ(Wait(pid), 0) << Log();
  EXPECT_NE(Log().find("Optimization stopped early."), std::string::npos) << Log();

  std::string state_file;
  for (const auto& entry : std::filesystem::directory_iterator(dir_.path())) {
    if (entry.path().extension() == ".solverstate") state_file = entry.path().string();
  }
  ASSERT_FALSE(state_file.empty()) << Log();
  SolverState state;
  ReadProtoFromBinaryFile(state_file, &state);
  ASSERT_GT(state.iter(), 0);

  const int target = state.iter() + 3;
  ASSERT_EQ(RunTool(kTrain,
                {"--solver=" + (dir_ / "solver.prototxt"), "--snapshot=" + state_file,
                 "--iterations=" + std::to_string(target)},
                dir_ / "log.txt"),
            0)
      << Log();
  EXPECT_NE(Log().find("Optimization Done."), std::string::npos) << Log();
  EXPECT_TRUE(FileExists(dir_ / StrCat("run_iter_", target, ".solverstate"))) << Log();

  // The test tool scores the snapshot.
  EXPECT_EQ(RunTool(kTest,
                {"--model=" + (dir_ / "net.prototxt"),
                 "--weights=" + (dir_ / StrCat("run_iter_", target, ".caffemodel")),
                 "--iterations=2"},
                dir_ / "log.txt"),
            0)
      << Log();
}

TEST_F(TrainToolTest, BadFlagsAreOneSentenceAndExitOne) {
  const std::string log = dir_ / "log.txt";
  EXPECT_EQ(RunTool(kTrain, {}, log), 1);
  EXPECT_NE(Log().find("--solver"), std::string::npos) << Log();
  EXPECT_EQ(RunTool(kTrain, {"--solver=" + (dir_ / "nope.prototxt")}, log), 1);
  EXPECT_NE(Log().find("does not exist"), std::string::npos) << Log();
  EXPECT_EQ(RunTool(kTrain, {"--solver=" + (dir_ / "solver.prototxt"), "--snapshot=a.solverstate",
                         "--weights=b.caffemodel"},
                log),
            1);
  EXPECT_NE(Log().find("not both"), std::string::npos) << Log();
  EXPECT_EQ(RunTool(kTrain, {"--solver=" + (dir_ / "solver.prototxt"), "--gpu=0"}, log), 1);
  EXPECT_NE(Log().find("no GPU support"), std::string::npos) << Log();
  EXPECT_EQ(RunTool(kTrain, {"--solver=" + (dir_ / "solver.prototxt"), "--sigint_effect=pause"}, log),
            1);
  EXPECT_EQ(RunTool(kTrain, {"--help"}, log), 0);
  EXPECT_NE(Log().find("Usage"), std::string::npos) << Log();
  EXPECT_EQ(RunTool(kTest, {"--model=" + (dir_ / "net.prototxt")}, log), 1);
  EXPECT_NE(Log().find("--weights"), std::string::npos) << Log();
}

// A tiny regression net the tools can build (library layers only).
const char kTinyNet[] = R"(name: "tiny"
layer { name: "data" type: "DummyData" top: "data" top: "target"
        dummy_data_param { shape { dim: 4 dim: 3 } shape { dim: 4 dim: 1 }
                           data_filler { type: "gaussian" std: 1 }
                           data_filler { type: "constant" value: 0.5 } } }
layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip"
        inner_product_param { num_output: 1 weight_filler { type: "gaussian" std: 0.1 } } }
layer { name: "loss" type: "EuclideanLoss" bottom: "ip" bottom: "target" top: "loss" }
)";

// Another net: no layer with parameters shares a name with kTinyNet's.
const char kOtherNet[] = R"(name: "other"
layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 4 dim: 3 } } }
layer { name: "encoder" type: "InnerProduct" bottom: "data" top: "code"
        inner_product_param { num_output: 1 } }
)";

// kTinyNet's ip plus a layer the tiny net lacks: fine-tuning material.
const char kPartlyMatchingNet[] = R"(name: "partly"
layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 4 dim: 3 } } }
layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip"
        inner_product_param { num_output: 1 weight_filler { type: "constant" value: 0.25 } } }
layer { name: "head" type: "InnerProduct" bottom: "ip" top: "head"
        inner_product_param { num_output: 2 } }
)";

class TinyTrainToolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!FileExists(kTrain) || !FileExists(kTest)) GTEST_SKIP() << "tools not built";
    WriteTextFile(dir_ / "tiny.prototxt", kTinyNet);
  }
  void WriteSolver(const std::string& extra) {
    WriteTextFile(dir_ / "solver.prototxt",
                  StrCat("net: '", dir_ / "tiny.prototxt", "' base_lr: 0.01 lr_policy: 'fixed' ",
                         "random_seed: 3 snapshot_prefix: '", dir_ / "tiny", "' ", extra, "\n"));
  }
  void WriteWeightsOf(const char* net_text, const std::string& weights) {
    WriteTextFile(dir_ / "source.prototxt", net_text);
    Net net(dir_ / "source.prototxt", TEST);
    NetParameter param;
    net.ToProto(&param);
    WriteProtoToBinaryFile(param, dir_ / weights);
  }
  int Train(const std::vector<std::string>& extra_args) {
    std::vector<std::string> args{"--solver=" + (dir_ / "solver.prototxt")};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    return RunTool(kTrain, args, dir_ / "log.txt");
  }
  std::string Log() const { return ReadFileToString(dir_ / "log.txt"); }
  std::vector<std::string> LogLines() const {
    std::vector<std::string> lines;
    std::istringstream in(Log());
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  }

  TempDir dir_;
};

// Caffe's log lines, as tools/extra/parse_log.py and plotting scripts read
// them. glog prefixes each with "I... file:line] ".
TEST_F(TinyTrainToolTest, LogLinesFollowCaffesFormat) {
  WriteSolver("max_iter: 4 display: 1 test_iter: 1 test_interval: 2 snapshot: 2");
  ASSERT_EQ(Train({}), 0) << Log();
  const std::string number = R"(([-+]?[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?))";
  const std::string prefix = dir_ / "tiny";
  const std::regex iteration_loss(R"(\] Iteration (\d+), loss = )" + number + "$");
  const std::regex train_output(R"(\]     Train net output #0: loss = )" + number +
                                R"( \(\* 1 = )" + number + R"( loss\)$)");
  const std::regex learning_rate(R"(\] Iteration (\d+), lr = )" + number + "$");
  const std::regex testing(R"(\] Iteration (\d+), Testing net \(#0\)$)");
  const std::regex test_output(R"(\]     Test net output #0: loss = )" + number +
                               R"( \(\* 1 = )" + number + R"( loss\)$)");
  const std::regex model_snapshot(R"(\] Snapshotting to binary proto file (.*)_iter_(\d+)\.caffemodel$)");
  const std::regex state_snapshot(
      R"(\] Snapshotting solver state to binary proto file (.*)_iter_(\d+)\.solverstate$)");
  const std::regex done(R"(\] Optimization Done\.$)");

  std::set<int> loss_iters, lr_iters, test_iters, model_iters, state_iters;
  int train_outputs = 0, test_outputs = 0, dones = 0;
  std::smatch m;
  for (const std::string& line : LogLines()) {
    if (std::regex_search(line, m, iteration_loss)) {
      loss_iters.insert(std::stoi(m[1]));
    } else if (std::regex_search(line, m, train_output)) {
      ++train_outputs;
      EXPECT_FLOAT_EQ(std::stof(m[1]), std::stof(m[2])) << line;  // loss weight 1
    } else if (std::regex_search(line, m, learning_rate)) {
      lr_iters.insert(std::stoi(m[1]));
      EXPECT_FLOAT_EQ(0.01f, std::stof(m[2])) << line;
    } else if (std::regex_search(line, m, testing)) {
      test_iters.insert(std::stoi(m[1]));
    } else if (std::regex_search(line, m, test_output)) {
      ++test_outputs;
      EXPECT_FLOAT_EQ(std::stof(m[1]), std::stof(m[2])) << line;
    } else if (std::regex_search(line, m, model_snapshot)) {
      EXPECT_EQ(prefix, m[1].str()) << line;
      model_iters.insert(std::stoi(m[2]));
    } else if (std::regex_search(line, m, state_snapshot)) {
      EXPECT_EQ(prefix, m[1].str()) << line;
      state_iters.insert(std::stoi(m[2]));
    } else if (std::regex_search(line, m, done)) {
      ++dones;
    }
  }
  EXPECT_EQ(loss_iters, (std::set<int>{0, 1, 2, 3, 4})) << Log();
  EXPECT_GE(train_outputs, 4) << Log();
  EXPECT_EQ(lr_iters, (std::set<int>{0, 1, 2, 3})) << Log();
  EXPECT_EQ(test_iters, (std::set<int>{0, 2, 4})) << Log();
  EXPECT_EQ(test_outputs, 3) << Log();
  EXPECT_EQ(model_iters, (std::set<int>{2, 4})) << Log();
  EXPECT_EQ(state_iters, (std::set<int>{2, 4})) << Log();
  EXPECT_EQ(dones, 1) << Log();
  EXPECT_TRUE(FileExists(prefix + "_iter_4.caffemodel"));
}

TEST_F(TinyTrainToolTest, WeightsOfAnotherNetAreOneSentenceAndExitOne) {
  WriteSolver("max_iter: 2 display: 0 snapshot_after_train: false");
  WriteWeightsOf(kOtherNet, "other.caffemodel");
  EXPECT_EQ(Train({"--weights=" + (dir_ / "other.caffemodel")}), 1);
  EXPECT_NE(Log().find("other.caffemodel"), std::string::npos) << Log();
  EXPECT_NE(Log().find("another net"), std::string::npos) << Log();
  EXPECT_NE(Log().find("encoder"), std::string::npos) << Log();
  EXPECT_EQ(Log().find("Optimization Done."), std::string::npos) << Log();

  EXPECT_EQ(RunTool(kTest,
                    {"--model=" + (dir_ / "tiny.prototxt"),
                     "--weights=" + (dir_ / "other.caffemodel"), "--iterations=1"},
                    dir_ / "log.txt"),
            1);
  EXPECT_NE(Log().find("other.caffemodel"), std::string::npos) << Log();
  EXPECT_NE(Log().find("another net"), std::string::npos) << Log();
}

TEST_F(TinyTrainToolTest, WeightsMatchingSomeLayersFineTune) {
  WriteSolver("max_iter: 1 display: 0 snapshot_after_train: true");
  WriteWeightsOf(kPartlyMatchingNet, "partly.caffemodel");
  ASSERT_EQ(Train({"--weights=" + (dir_ / "partly.caffemodel")}), 0) << Log();
  EXPECT_NE(Log().find("Optimization Done."), std::string::npos) << Log();
  // The copied weights are where training started: one small step from 0.25.
  NetParameter trained;
  ReadProtoFromBinaryFile(dir_ / "tiny_iter_1.caffemodel", &trained);
  ASSERT_GE(trained.layer_size(), 2);
  ASSERT_EQ(trained.layer(1).name(), "ip");
  ASSERT_EQ(trained.layer(1).blobs(0).data_size(), 3);
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(0.25f, trained.layer(1).blobs(0).data(i), 0.1f);

  EXPECT_EQ(RunTool(kTest,
                    {"--model=" + (dir_ / "tiny.prototxt"),
                     "--weights=" + (dir_ / "partly.caffemodel"), "--iterations=1"},
                    dir_ / "log.txt"),
            0)
      << Log();
}

}  // namespace
}  // namespace testing
}  // namespace crema
