// Nothing is lost: `train` killed with SIGKILL at random moments (snapshot
// writes included) never leaves a half-written file under a snapshot's name,
// and its newest snapshot loads and resumes; a full disk while snapshotting
// is an error naming the file and the cause, and keeps the previous snapshot.
#include <gtest/gtest.h>

#include <signal.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <random>
#include <regex>

#include "crema/common.hpp"
#include "crema/io/proto_io.hpp"
#include "crema/net.hpp"
#include "crema/proto/crema.pb.h"
#include "crema/solver.hpp"
#include "solver/child_process.hpp"
#include "solver/solver_test_util.hpp"

namespace crema {
namespace testing {
namespace {

const std::string kTrain = CREMA_BINARY_DIR "/tools/train";

// A regression net of library layers only (the tool has no test layers):
// `inputs` x `outputs` weights in one InnerProduct layer.
std::string RegressionNet(int inputs, int outputs) {
  return StrCat(
      "name: 'crash'\n"
      "layer { name: 'data' type: 'DummyData' top: 'data' top: 'target'\n"
      "  dummy_data_param { shape { dim: 4 dim: ", inputs, " } shape { dim: 4 dim: ", outputs,
      " }\n"
      "    data_filler { type: 'gaussian' std: 1 } data_filler { type: 'constant' value: 0.5 } } }\n"
      "layer { name: 'ip' type: 'InnerProduct' bottom: 'data' top: 'ip'\n"
      "  inner_product_param { num_output: ", outputs,
      " weight_filler { type: 'gaussian' std: 0.01 } } }\n"
      "layer { name: 'loss' type: 'EuclideanLoss' bottom: 'ip' bottom: 'target' top: 'loss' }\n");
}

// The iteration in "<prefix>_iter_<N>.<extension>", or -1.
int SnapshotIter(const std::string& name, const std::string& extension) {
  static const std::regex pattern(R"(_iter_(\d+)\.(caffemodel|solverstate)$)");
  std::smatch m;
  if (!std::regex_search(name, m, pattern) || m[2] != extension) return -1;
  return std::stoi(m[1]);
}

int Count(const std::string& text, const std::string& part) {
  int n = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

class CrashSafetyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!FileExists(kTrain)) GTEST_SKIP() << "tools/train is not built";
  }
  void WriteFiles(int inputs, int outputs, const std::string& solver_extra) {
    WriteTextFile(dir_ / "net.prototxt", RegressionNet(inputs, outputs));
    WriteTextFile(dir_ / "solver.prototxt",
                  StrCat("net: '", dir_ / "net.prototxt", "' base_lr: 0.001 lr_policy: 'fixed' ",
                         "random_seed: 1 display: 0 snapshot_prefix: '", dir_ / "crash", "' ",
                         solver_extra, "\n"));
  }
  std::string Log() const {
    return FileExists(dir_ / "log.txt") ? ReadFileToString(dir_ / "log.txt") : "";
  }
  std::vector<std::string> Files() const {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(dir_.path())) {
      names.push_back(entry.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
  }
  std::vector<std::string> TempFiles() const {
    std::vector<std::string> temps;
    for (const std::string& name : Files()) {
      if (name.find(".tmp.") != std::string::npos) temps.push_back(name);
    }
    return temps;
  }
  // The newest .solverstate's path, or "".
  std::string NewestState() const {
    int newest = -1;
    for (const std::string& name : Files()) newest = std::max(newest, SnapshotIter(name, "solverstate"));
    return newest < 0 ? "" : dir_ / StrCat("crash_iter_", newest, ".solverstate");
  }
  // Every file under a snapshot's name is complete: it parses, the weights
  // have every value of the net's InnerProduct, the state names weights
  // that exist and keeps one history blob per parameter.
  void ExpectCompleteSnapshots(int inputs, int outputs, size_t history) const {
    for (const std::string& name : Files()) {
      if (SnapshotIter(name, "caffemodel") >= 0) {
        NetParameter weights;
        ASSERT_NO_THROW(ReadProtoFromBinaryFile(dir_ / name, &weights)) << name;
        bool found = false;
        for (const LayerParameter& layer : weights.layer()) {
          if (layer.name() != "ip") continue;
          found = true;
          ASSERT_EQ(layer.blobs_size(), 2) << name;
          EXPECT_EQ(layer.blobs(0).data_size(), inputs * outputs) << name;
          EXPECT_EQ(layer.blobs(1).data_size(), outputs) << name;
        }
        EXPECT_TRUE(found) << name << " has no weights for layer 'ip'";
      } else if (SnapshotIter(name, "solverstate") >= 0) {
        SolverState state;
        ASSERT_NO_THROW(ReadProtoFromBinaryFile(dir_ / name, &state)) << name;
        EXPECT_EQ(state.iter(), SnapshotIter(name, "solverstate")) << name;
        EXPECT_TRUE(FileExists(state.learned_net())) << name << " names " << state.learned_net();
        EXPECT_EQ(static_cast<size_t>(state.history_size()), history) << name;
      }
    }
  }
  // Builds the solver in this process and restores `state_file` into it.
  void ExpectRestores(const std::string& state_file) const {
    std::unique_ptr<Solver> solver = CreateSolver(LoadSolverParameter(dir_ / "solver.prototxt"));
    ASSERT_NO_THROW(solver->Restore(state_file)) << state_file;
    EXPECT_EQ(solver->iter(), SnapshotIter(state_file, "solverstate"));
  }
  // Keeps the newest snapshot only, so that the folder stays small.
  void RemoveAllBut(const std::string& state_file) const {
    const int keep = SnapshotIter(state_file, "solverstate");
    for (const std::string& name : Files()) {
      const int iter = std::max(SnapshotIter(name, "caffemodel"), SnapshotIter(name, "solverstate"));
      if ((iter >= 0 && iter != keep) || name.find(".tmp.") != std::string::npos) {
        std::filesystem::remove(dir_ / name);
      }
    }
  }

  TempDir dir_;
};

// 20 runs, each resuming from the newest snapshot and killed at a random
// moment: half during start-up and restore, half a few milliseconds into a
// loop that snapshots every iteration (after its first or second complete
// snapshot), where most of the time goes to writing snapshots. CREMA_CRASH_SEED picks another sequence of moments.
TEST_F(CrashSafetyTest, KillNineAtRandomMomentsLosesNothing) {
  constexpr int kInputs = 128, kOutputs = 64, kRounds = 20;
  WriteFiles(kInputs, kOutputs, "momentum: 0.9 max_iter: 1000000000 snapshot: 1");
  const char* seed_env = std::getenv("CREMA_CRASH_SEED");
  std::mt19937 random(seed_env ? std::atoi(seed_env) : 16);
  int killed_mid_write = 0, resumed = 0;
  for (int round = 0; round < kRounds; ++round) {
    const std::string resume_from = NewestState();
    std::vector<std::string> args{"--solver=" + (dir_ / "solver.prototxt")};
    if (!resume_from.empty()) args.push_back("--snapshot=" + resume_from);
    std::filesystem::remove(dir_ / "log.txt");  // the last run's must not be read
    const pid_t pid = SpawnChild(kTrain, args, dir_ / "log.txt");
    ASSERT_GT(pid, 0);
    if (round % 2 == 0) {
      std::this_thread::sleep_for(
          std::chrono::microseconds(std::uniform_int_distribution<int>(0, 150000)(random)));
    } else {
      // After the first or second snapshot of this run has been completed.
      const int wanted = std::uniform_int_distribution<int>(2, 3)(random);
      for (int i = 0; i < 20000 && Count(Log(), "Snapshotting to binary") < wanted; ++i) {
        std::this_thread::sleep_for(std::chrono::microseconds(500));
      }
      std::this_thread::sleep_for(
          std::chrono::microseconds(std::uniform_int_distribution<int>(0, 20000)(random)));
    }
    ::kill(pid, SIGKILL);
    EXPECT_EQ(WaitChild(pid), -1) << "round " << round << ": train ended before the kill\n"
                                  << Log();
    if (!resume_from.empty() &&
        Log().find(StrCat("restored at iteration ", SnapshotIter(resume_from, "solverstate"),
                          " from ", resume_from)) != std::string::npos) {
      ++resumed;
    }
    if (!TempFiles().empty()) ++killed_mid_write;
    ExpectCompleteSnapshots(kInputs, kOutputs, 2);
    const std::string newest = NewestState();
    if (newest.empty()) continue;  // killed before the first snapshot
    ExpectRestores(newest);
    if (HasFailure()) FAIL() << "round " << round << "\n" << Log();
    RemoveAllBut(newest);
  }
  std::cout << "Killed " << kRounds << " runs: " << killed_mid_write
            << " in the middle of a snapshot write, " << resumed
            << " after resuming from the previous run's snapshot." << std::endl;
  EXPECT_GT(resumed, 0);

  // The newest snapshot resumes and trains to the end.
  const std::string newest = NewestState();
  ASSERT_FALSE(newest.empty()) << "no run got as far as a snapshot\n" << Log();
  const int from = SnapshotIter(newest, "solverstate");
  ASSERT_EQ(RunChild(kTrain,
                     {"--solver=" + (dir_ / "solver.prototxt"), "--snapshot=" + newest,
                      StrCat("--iterations=", from + 2)},
                     dir_ / "log.txt"),
            0)
      << Log();
  EXPECT_NE(Log().find(StrCat("restored at iteration ", from)), std::string::npos) << Log();
  EXPECT_NE(Log().find("Optimization Done."), std::string::npos) << Log();
  ExpectRestores(dir_ / StrCat("crash_iter_", from + 2, ".solverstate"));
}

// A file size limit makes the snapshot's writes fail with EFBIG, as a full
// disk fails them with ENOSPC. Once the weights fail, once the state (Adam
// keeps two history blobs per parameter, so its state is the larger file).
TEST_F(CrashSafetyTest, DiskFullWhileSnapshottingKeepsThePreviousSnapshot) {
  constexpr int kInputs = 512, kOutputs = 512;  // 1 MB of weights; the log stays far below
  WriteFiles(kInputs, kOutputs, "type: 'Adam' max_iter: 4 snapshot: 2");
  const std::string solver = "--solver=" + (dir_ / "solver.prototxt");
  ASSERT_EQ(RunChild(kTrain, {solver, "--iterations=2"}, dir_ / "log.txt"), 0) << Log();
  const std::string previous = dir_ / "crash_iter_2.solverstate";
  const std::string previous_model = dir_ / "crash_iter_2.caffemodel";
  ASSERT_TRUE(FileExists(previous)) << Log();
  const long model_size = static_cast<long>(std::filesystem::file_size(previous_model));
  const long state_size = static_cast<long>(std::filesystem::file_size(previous));
  ASSERT_GT(state_size, model_size + 4096);
  const std::string previous_bytes = ReadFileToString(previous);

  struct Case {
    long limit;
    std::string failing;
  };
  for (const Case& c : {Case{model_size / 2, "crash_iter_4.caffemodel"},
                        Case{(model_size + state_size) / 2, "crash_iter_4.solverstate"}}) {
    SCOPED_TRACE(c.failing);
    ChildOptions options;
    options.file_size_limit = c.limit;
    EXPECT_EQ(RunChild(kTrain, {solver, "--snapshot=" + previous}, dir_ / "log.txt", options), 1)
        << Log();
    const std::string log = Log();
    EXPECT_NE(log.find("The snapshot of iteration 4 could not be written: Cannot write '" +
                       (dir_ / c.failing) + "'"),
              std::string::npos)
        << log;
    EXPECT_NE(log.find("File too large"), std::string::npos) << log;
    EXPECT_NE(log.find("The previous snapshot '" + previous + "' is intact."), std::string::npos)
        << log;
    EXPECT_EQ(log.find("Optimization Done."), std::string::npos) << log;
    EXPECT_TRUE(TempFiles().empty()) << TempFiles()[0];
    EXPECT_FALSE(FileExists(dir_ / "crash_iter_4.solverstate"));
    EXPECT_EQ(ReadFileToString(previous), previous_bytes);
    ExpectCompleteSnapshots(kInputs, kOutputs, 4);
    EXPECT_EQ(NewestState(), previous);
    ExpectRestores(previous);
  }
  // With room again, the same run goes through.
  ASSERT_EQ(RunChild(kTrain, {solver, "--snapshot=" + previous}, dir_ / "log.txt"), 0) << Log();
  ExpectRestores(dir_ / "crash_iter_4.solverstate");
}

// A solverstate whose history lies about the net's parameters (too few
// blobs, or a blob whose values do not fill its stated shape) is refused with
// a sentence naming the file, before anything is restored.
TEST_F(CrashSafetyTest, SolverStateWhoseHistoryLiesIsRefusedUntouched) {
  WriteFiles(3, 2, "momentum: 0.9 max_iter: 2 snapshot: 2");
  CreateSolver(LoadSolverParameter(dir_ / "solver.prototxt"))->Solve();
  SolverState state;
  ReadProtoFromBinaryFile(dir_ / "crash_iter_2.solverstate", &state);
  ASSERT_EQ(state.history_size(), 2);

  SolverState short_blob = state;
  short_blob.mutable_history(1)->mutable_data()->RemoveLast();
  WriteProtoToBinaryFile(short_blob, dir_ / "short_blob.solverstate");
  SolverState missing_blob = state;
  missing_blob.mutable_history()->RemoveLast();
  WriteProtoToBinaryFile(missing_blob, dir_ / "missing_blob.solverstate");

  std::unique_ptr<Solver> solver = CreateSolver(LoadSolverParameter(dir_ / "solver.prototxt"));
  const std::vector<float> before(solver->net().learnable_params()[0]->cpu_data(),
                                  solver->net().learnable_params()[0]->cpu_data() + 6);
  struct Case {
    std::string file, message;
  };
  for (const Case& c :
       {Case{"short_blob.solverstate", "' is damaged: its history blob 1 has shape 2 (2) (2 values) "
                                       "but holds 1 values."},
        Case{"missing_blob.solverstate",
             "' was saved for another net or solver: it holds 1 history blobs, but the SGD "
             "solver of net 'crash' keeps 2."}}) {
    std::string error;
    try {
      solver->Restore(dir_ / c.file);
    } catch (const Error& e) {
      error = e.what();
    }
    EXPECT_EQ(error, "The solver state '" + (dir_ / c.file) + c.message);
    EXPECT_EQ(solver->iter(), 0);
    const float* after = solver->net().learnable_params()[0]->cpu_data();
    EXPECT_EQ(before, std::vector<float>(after, after + 6));
  }
}

// Weights of another net through `train --weights`: a layer of another
// shape is an error naming it; layers the file lacks are named in the log
// and keep their initial values (Caffe's semantics for fine-tuning).
TEST_F(CrashSafetyTest, WeightsOfAnotherNetNameTheLayers) {
  WriteTextFile(dir_ / "wide.prototxt", RegressionNet(3, 4));
  Net wide(dir_ / "wide.prototxt", TEST);
  NetParameter wide_weights;
  wide.ToProto(&wide_weights);
  WriteProtoToBinaryFile(wide_weights, dir_ / "wide.caffemodel");
  WriteFiles(3, 2, "max_iter: 1 snapshot_after_train: false");
  const std::string solver = "--solver=" + (dir_ / "solver.prototxt");
  EXPECT_EQ(RunChild(kTrain, {solver, "--weights=" + (dir_ / "wide.caffemodel")},
                     dir_ / "log.txt"),
            1);
  EXPECT_NE(Log().find("While loading the weights file '" + (dir_ / "wide.caffemodel") +
                       "': Cannot copy weights into layer 'ip', blob 0: the file's shape is "
                       "4 x 3 (12) but the net's is 2 x 3 (6)."),
            std::string::npos)
      << Log();

  // A net with one more layer: 'head' is not in the file.
  std::string deeper = RegressionNet(3, 2);
  deeper.replace(deeper.find("bottom: 'ip' bottom: 'target'"), 29,
                 "bottom: 'out' bottom: 'target'");
  deeper.insert(deeper.find("layer { name: 'loss'"),
                "layer { name: 'head' type: 'InnerProduct' bottom: 'ip' top: 'out'\n"
                "  inner_product_param { num_output: 2 } }\n");
  WriteTextFile(dir_ / "net.prototxt", deeper);
  WriteTextFile(dir_ / "narrow.prototxt", RegressionNet(3, 2));
  Net narrow(dir_ / "narrow.prototxt", TEST);
  NetParameter narrow_weights;
  narrow.ToProto(&narrow_weights);
  WriteProtoToBinaryFile(narrow_weights, dir_ / "narrow.caffemodel");
  EXPECT_EQ(RunChild(kTrain, {solver, "--weights=" + (dir_ / "narrow.caffemodel")},
                     dir_ / "log.txt"),
            0)
      << Log();
  EXPECT_NE(Log().find("Copying weights of layer ip"), std::string::npos) << Log();
  EXPECT_NE(Log().find("Layer head is not in the weights; it keeps its initial values."),
            std::string::npos)
      << Log();
}

}  // namespace
}  // namespace testing
}  // namespace crema
