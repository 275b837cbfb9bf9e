// Snapshots: file contents, periodic and final snapshots, and resuming that
// continues exactly where the run stopped (weights, history, data-reader
// position and random engines), bit for bit.
#include <gtest/gtest.h>

#include <signal.h>

#include <cstring>
#include <filesystem>

#include "crema/io/proto_io.hpp"
#include "crema/signal_handler.hpp"
#include "crema/solver.hpp"
#include "solver/solver_test_layers.hpp"
#include "solver/solver_test_util.hpp"
#include "support/test_util.hpp"

namespace crema {
namespace testing {
namespace {

// Noisy data (own engine + Crema::rng()), a test net sharing the same
// definition, SGD-family rule of `type`.
SolverParameter NoisySolver(const std::string& type, const std::string& prefix, int max_iter,
                            int snapshot = 0) {
  const bool no_momentum = type == "AdaGrad" || type == "RMSProp";
  return ParseText<SolverParameter>(StrCat(
      "net_param { ", TinyNetText(3, 3, 2, "TestNoisyData"), " }\n",
      "type: '", type, "' base_lr: ", type == "AdaDelta" ? 1.0 : 0.05,
      " lr_policy: 'step' gamma: 0.5 stepsize: 4 momentum: ", no_momentum ? 0.0 : 0.9,
      " weight_decay: 0.01 test_iter: 2 test_interval: 3 display: 2 average_loss: 3",
      " max_iter: ", max_iter, " snapshot: ", snapshot, " snapshot_prefix: '", prefix, "'",
      " random_seed: 99"));
}

std::vector<float> Weights(Solver& solver) {
  std::vector<float> out;
  for (const Blob* blob : solver.net().learnable_params()) {
    out.insert(out.end(), blob->cpu_data(), blob->cpu_data() + blob->count());
  }
  for (const auto& blob : solver.history()) {
    out.insert(out.end(), blob->cpu_data(), blob->cpu_data() + blob->count());
  }
  return out;
}

bool BitIdentical(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

class SolverResumeTest : public ::testing::TestWithParam<const char*> {};

TEST_P(SolverResumeTest, ResumedRunIsBitIdenticalToUninterruptedRun) {
  TempDir dir;
  const std::string type = GetParam();
  auto straight = CreateSolver(NoisySolver(type, dir / "straight", 10));
  straight->Solve();
  ASSERT_EQ(straight->iter(), 10);

  {
    auto first_half = CreateSolver(NoisySolver(type, dir / "half", 5));
    first_half->Solve();  // snapshot_after_train writes half_iter_5
  }
  const std::string state_file = dir / "half_iter_5.solverstate";
  ASSERT_TRUE(FileExists(state_file));
  auto resumed = CreateSolver(NoisySolver(type, dir / "half", 10));
  resumed->Solve(state_file);
  EXPECT_EQ(resumed->iter(), 10);
  EXPECT_TRUE(BitIdentical(Weights(*straight), Weights(*resumed))) << type;
  EXPECT_EQ(straight->current_step(), resumed->current_step());
  ASSERT_EQ(resumed->test_scores().size(), 1u);
  EXPECT_EQ(straight->test_scores()[0], resumed->test_scores()[0]);

  // Control: without crema's run state (what a Caffe solverstate holds) the
  // data and random draws restart, and the runs part ways.
  SolverState state;
  ReadProtoFromBinaryFile(state_file, &state);
  state.clear_layer_state();
  state.clear_rng_state();
  const std::string caffe_like = dir / "caffe_like.solverstate";
  WriteProtoToBinaryFile(state, caffe_like);
  auto diverged = CreateSolver(NoisySolver(type, dir / "other", 10));
  diverged->Solve(caffe_like);
  EXPECT_FALSE(BitIdentical(Weights(*straight), Weights(*diverged)));
}

INSTANTIATE_TEST_SUITE_P(Rules, SolverResumeTest,
                         ::testing::Values("SGD", "Nesterov", "AdaGrad", "RMSProp", "AdaDelta",
                                           "Adam"));

// multistep advances current_step one stepvalue per iteration and cannot
// recompute it from the iteration alone: a resume must restore it.
TEST(SolverSnapshotTest, MultistepResumeRestoresCurrentStep) {
  TempDir dir;
  auto multistep = [&dir](const std::string& prefix, int max_iter) {
    SolverParameter param = NoisySolver("SGD", dir / prefix, max_iter);
    param.set_lr_policy("multistep");
    param.clear_stepsize();
    for (int value : {1, 2, 3, 8}) param.add_stepvalue(value);
    return param;
  };
  auto straight = CreateSolver(multistep("straight", 10));
  straight->Solve();
  EXPECT_EQ(straight->current_step(), 4);

  CreateSolver(multistep("half", 5))->Solve();
  const std::string state_file = dir / "half_iter_5.solverstate";
  SolverState state;
  ReadProtoFromBinaryFile(state_file, &state);
  EXPECT_EQ(state.current_step(), 3);  // stepvalues 1, 2 and 3 passed

  auto restored = CreateSolver(multistep("half", 10));
  restored->Restore(state_file);
  EXPECT_EQ(restored->iter(), 5);
  EXPECT_EQ(restored->current_step(), 3);

  // Had current_step restarted at 0, iterations 5 to 7 would catch up one
  // step at a time with larger rates, and the weights would differ.
  auto resumed = CreateSolver(multistep("half", 10));
  resumed->Solve(state_file);
  EXPECT_EQ(resumed->current_step(), 4);
  EXPECT_TRUE(BitIdentical(Weights(*straight), Weights(*resumed)));

  state.set_current_step(0);
  WriteProtoToBinaryFile(state, dir / "step0.solverstate");
  auto restarted = CreateSolver(multistep("other", 10));
  restarted->Solve(dir / "step0.solverstate");
  EXPECT_FALSE(BitIdentical(Weights(*straight), Weights(*restarted)));
}

TEST(SolverSnapshotTest, FilesAreCurrentFormatNetAndSolverState) {
  TempDir dir;
  auto solver = CreateSolver(NoisySolver("SGD", dir / "tiny", 4, 4));
  solver->Solve();
  const std::string model = dir / "tiny_iter_4.caffemodel";
  const std::string state_file = dir / "tiny_iter_4.solverstate";
  ASSERT_TRUE(FileExists(model));
  ASSERT_TRUE(FileExists(state_file));
  // Atomic writes leave no temporaries behind.
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    ++files;
    EXPECT_EQ(entry.path().string().find(".tmp"), std::string::npos) << entry.path();
  }
  EXPECT_EQ(files, 2);

  NetParameter net;
  ReadProtoFromBinaryFile(model, &net);
  EXPECT_EQ(net.name(), "tiny");
  EXPECT_EQ(net.layers_size(), 0);  // no V1 'layers'
  ASSERT_EQ(net.layer_size(), 3);
  EXPECT_EQ(net.layer(0).name(), "data");
  EXPECT_EQ(net.layer(1).name(), "ip");
  EXPECT_EQ(net.layer(1).type(), "TestLinear");
  EXPECT_EQ(net.layer(2).name(), "loss");
  EXPECT_EQ(net.layer(0).blobs_size(), 0);
  ASSERT_EQ(net.layer(1).blobs_size(), 2);
  const BlobProto& w = net.layer(1).blobs(0);
  ASSERT_TRUE(w.has_shape());
  EXPECT_EQ(w.shape().dim_size(), 2);
  EXPECT_EQ(w.shape().dim(0), 2);
  EXPECT_EQ(w.shape().dim(1), 3);
  EXPECT_FALSE(w.has_num() || w.has_channels() || w.has_height() || w.has_width());
  EXPECT_EQ(w.data_size(), 6);
  EXPECT_EQ(w.diff_size(), 0);
  EXPECT_EQ(net.layer(1).blobs(1).shape().dim_size(), 1);
  const float* data = solver->net().learnable_params()[0]->cpu_data();
  for (int i = 0; i < 6; ++i) EXPECT_EQ(w.data(i), data[i]);

  SolverState state;
  ReadProtoFromBinaryFile(state_file, &state);
  EXPECT_EQ(state.iter(), 4);
  EXPECT_EQ(state.learned_net(), model);
  EXPECT_EQ(state.current_step(), 0);  // step policy: computed for iteration 3
  ASSERT_EQ(state.history_size(), 2);
  EXPECT_EQ(BlobProtoShape(state.history(0)), (std::vector<int>{2, 3}));
  ASSERT_EQ(state.layer_state_size(), 2);  // the data layers of train and test net
  EXPECT_EQ(state.layer_state(0).net(), "train");
  EXPECT_EQ(state.layer_state(0).layer(), "data");
  EXPECT_EQ(state.layer_state(1).net(), "test0");
  EXPECT_FALSE(state.rng_state().empty());
}

TEST(SolverSnapshotTest, PeriodicAndFinalSnapshots) {
  TempDir dir;
  auto solver = CreateSolver(NoisySolver("SGD", dir / "p", 7, 3));
  solver->Solve();
  EXPECT_TRUE(FileExists(dir / "p_iter_3.caffemodel"));
  EXPECT_TRUE(FileExists(dir / "p_iter_6.solverstate"));
  EXPECT_TRUE(FileExists(dir / "p_iter_7.solverstate"));  // snapshot_after_train
  EXPECT_FALSE(FileExists(dir / "p_iter_5.solverstate"));

  SolverParameter param = NoisySolver("SGD", dir / "q", 7, 0);
  param.set_snapshot_after_train(false);
  CreateSolver(param)->Solve();
  EXPECT_FALSE(FileExists(dir / "q_iter_7.solverstate"));
}

TEST(SolverSnapshotTest, ResumeFindsWeightsNextToAMovedSolverState) {
  TempDir dir;
  CreateSolver(NoisySolver("SGD", dir / "m", 2))->Solve();
  std::filesystem::create_directory(dir / "moved");
  std::filesystem::rename(dir / "m_iter_2.caffemodel", dir / "moved/m_iter_2.caffemodel");
  std::filesystem::rename(dir / "m_iter_2.solverstate", dir / "moved/m_iter_2.solverstate");
  auto solver = CreateSolver(NoisySolver("SGD", dir / "m", 4));
  solver->Restore(dir / "moved/m_iter_2.solverstate");
  EXPECT_EQ(solver->iter(), 2);
}

TEST(SolverSnapshotTest, StateFromAnotherNetIsOneClearSentence) {
  TempDir dir;
  CreateSolver(NoisySolver("SGD", dir / "a", 2))->Solve();
  SolverParameter other = NoisySolver("SGD", dir / "b", 2);
  *other.mutable_net_param() =
      ParseText<NetParameter>(TinyNetText(3, 3, 4, "TestNoisyData"));  // 4 outputs
  auto solver = CreateSolver(other);
  try {
    solver->Restore(dir / "a_iter_2.solverstate");
    FAIL() << "restoring another net's state should fail";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("was saved for another net"), std::string::npos) << what;
    EXPECT_NE(what.find("'ip' blob 0"), std::string::npos) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
  }
  // Another rule keeps another number of history blobs.
  auto adam = CreateSolver(NoisySolver("Adam", dir / "c", 2));
  try {
    adam->Restore(dir / "a_iter_2.solverstate");
    FAIL() << "restoring an SGD state into Adam should fail";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("holds 2 history blobs"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(adam->Restore(dir / "missing.solverstate"), Error);
  EXPECT_THROW(adam->Restore(dir / "x.h5"), Error);
}

// History shapes alone cannot tell two nets apart: the layers of the weights
// the state refers to must cover the train net's layers with parameters.
TEST(SolverSnapshotTest, StateFromAnotherNetWithMatchingShapesIsRefused) {
  TempDir dir;
  CreateSolver(NoisySolver("SGD", dir / "a", 2))->Solve();
  const std::string state_file = dir / "a_iter_2.solverstate";
  SolverParameter other = NoisySolver("SGD", dir / "b", 4);
  std::string text = TinyNetText(3, 3, 2, "TestNoisyData");
  text.replace(text.find("name: 'ip'"), 10, "name: 'fc'");  // same shapes, another layer
  *other.mutable_net_param() = ParseText<NetParameter>(text);
  auto solver = CreateSolver(other);
  const std::vector<float> before = Weights(*solver);
  try {
    solver->Restore(state_file);
    FAIL() << "restoring another net's state should fail";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(state_file), std::string::npos) << what;
    EXPECT_NE(what.find("another net"), std::string::npos) << what;
    EXPECT_NE(what.find("'fc'"), std::string::npos) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
  }
  // Nothing was restored.
  EXPECT_EQ(solver->iter(), 0);
  EXPECT_TRUE(BitIdentical(before, Weights(*solver)));
  // Through Solve (train --snapshot) too.
  EXPECT_THROW(solver->Solve(state_file), Error);
  EXPECT_EQ(solver->iter(), 0);
}

// A stop request (SIGINT's default effect) snapshots even when the solver
// would not, and the snapshot resumes into the uninterrupted run.
TEST(SolverActionTest, StopBySignalSnapshotsAndResumes) {
  TempDir dir;
  auto straight = CreateSolver(NoisySolver("SGD", dir / "s", 8));
  straight->Solve();

  SolverParameter param = NoisySolver("SGD", dir / "i", 8);
  param.set_snapshot_after_train(false);
  auto interrupted = CreateSolver(param);
  {
    SignalHandler handler(SolverAction::STOP, SolverAction::SNAPSHOT);
    Solver* raw = interrupted.get();
    interrupted->SetActionFunction([&handler, raw]() {
      if (raw->iter() == 2) ::raise(SIGHUP);  // snapshot, go on
      if (raw->iter() == 5) ::raise(SIGINT);  // snapshot, stop
      return handler.CheckForSignals();
    });
    interrupted->Solve();
  }
  EXPECT_TRUE(interrupted->requested_early_exit());
  EXPECT_EQ(interrupted->iter(), 5);
  EXPECT_TRUE(FileExists(dir / "i_iter_2.solverstate"));
  ASSERT_TRUE(FileExists(dir / "i_iter_5.solverstate"));

  auto resumed = CreateSolver(NoisySolver("SGD", dir / "r", 8));
  resumed->Solve(dir / "i_iter_5.solverstate");
  EXPECT_TRUE(BitIdentical(Weights(*straight), Weights(*resumed)));
}

TEST(SolverActionTest, SigtermStopsAndNoneIgnores) {
  SignalHandler handler(SolverAction::STOP, SolverAction::NONE);
  EXPECT_EQ(handler.CheckForSignals(), SolverAction::NONE);
  ::raise(SIGTERM);
  EXPECT_EQ(handler.CheckForSignals(), SolverAction::STOP);
  EXPECT_EQ(handler.CheckForSignals(), SolverAction::NONE);
  ::raise(SIGHUP);
  EXPECT_EQ(handler.CheckForSignals(), SolverAction::NONE);
  EXPECT_THROW(SignalHandler(SolverAction::NONE, SolverAction::NONE), Error);  // one at a time
  EXPECT_EQ(ParseSolverAction("snapshot"), SolverAction::SNAPSHOT);
  EXPECT_THROW(ParseSolverAction("pause"), Error);
}

}  // namespace
}  // namespace testing
}  // namespace crema

namespace crema {
namespace testing {
namespace {

SolverParameter ConstSolver(int average_loss, bool debug_info) {
  return ParseText<SolverParameter>(StrCat(
      "net_param { ", TinyNetText(2, 3, 2), " } base_lr: 0.05 lr_policy: 'fixed' ",
      "momentum: 0.9 display: 1 max_iter: 10 snapshot_after_train: false random_seed: 5 ",
      "average_loss: ", average_loss, " debug_info: ", debug_info ? "true" : "false"));
}

TEST(SolverLoopTest, AverageLossSmoothsOverTheLastIterations) {
  auto single = CreateSolver(ConstSolver(1, false));
  std::vector<float> losses;
  for (int i = 0; i < 5; ++i) {
    single->Step(1);
    losses.push_back(single->smoothed_loss());
  }
  auto smoothed = CreateSolver(ConstSolver(3, true));  // debug_info logs, same numbers
  smoothed->Step(5);
  EXPECT_NEAR(smoothed->smoothed_loss(), (losses[2] + losses[3] + losses[4]) / 3, 1e-6);
  EXPECT_NE(losses[4], losses[3]);
}

}  // namespace
}  // namespace testing
}  // namespace crema
