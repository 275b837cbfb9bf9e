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
#include <thread>

#include "crema/common.hpp"
#include "crema/io/proto_io.hpp"
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

}  // namespace
}  // namespace testing
}  // namespace crema
