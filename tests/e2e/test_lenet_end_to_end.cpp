// LeNet from the zoo, end to end on generated digits: trained by the real
// train tool, interrupted with SIGINT and resumed, resumed in-process bit
// for bit with random crops and mirroring, and the .caffemodel it writes
// checked against what BVLC Caffe writes for the same net.
#include <gtest/gtest.h>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <thread>

#include "crema/common.hpp"
#include "crema/io/proto_io.hpp"
#include "crema/net.hpp"
#include "crema/solver.hpp"
#include "crema/stateful.hpp"
#include "e2e/e2e_util.hpp"
#include "solver/solver_test_util.hpp"
#include "support/test_util.hpp"

namespace crema {
namespace testing {
namespace {

using google::protobuf::internal::WireFormatLite;

// Caffe's LeNet solver, shortened.
std::string SolverText(const std::string& net_file, const std::string& prefix, int max_iter,
                       int test_iter, int test_interval, int display) {
  return StrCat("net: '", net_file, "'\n",
                "base_lr: 0.01 momentum: 0.9 weight_decay: 0.0005\n",
                "lr_policy: 'inv' gamma: 0.0001 power: 0.75\n",
                "max_iter: ", max_iter, " display: ", display, "\n",
                test_iter > 0 ? StrCat("test_iter: ", test_iter, " test_interval: ",
                                       test_interval, "\n")
                              : std::string(),
                "snapshot_prefix: '", prefix, "' random_seed: 1701 solver_mode: CPU\n");
}

void WriteNet(const NetParameter& net, const std::string& path) {
  WriteProtoToTextFile(net, path);
}

bool ToolsBuilt() { return FileExists(kTrainTool); }

// Every learnable blob of a .caffemodel, by "layer/index".
std::map<std::string, std::vector<float>> ModelBlobs(const std::string& file) {
  NetParameter net;
  ReadProtoFromBinaryFile(file, &net);
  std::map<std::string, std::vector<float>> blobs;
  for (const LayerParameter& layer : net.layer()) {
    for (int i = 0; i < layer.blobs_size(); ++i) {
      blobs[StrCat(layer.name(), "/", i)].assign(layer.blobs(i).data().begin(),
                                                 layer.blobs(i).data().end());
    }
  }
  return blobs;
}

// Weights and optimizer history, concatenated.
std::vector<float> SolverFloats(Solver& solver) {
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
  return a.size() == b.size() &&
         std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// ---- training through tools/train ----

TEST(LeNetEndToEndTest, TrainToolLearnsGeneratedDigits) {
  if (!ToolsBuilt()) GTEST_SKIP() << "tools/train is not built";
  TempDir dir;
  MakeDigitLmdbs(dir.path(), 100, 30);  // 1000 train, 300 test images
  WriteNet(LeNetOn(dir / "train_lmdb", dir / "test_lmdb", 64, 100), dir / "lenet.prototxt");
  WriteTextFile(dir / "solver.prototxt",
                SolverText(dir / "lenet.prototxt", dir / "lenet", 200, 3, 200, 50));
  const std::string log = dir / "train.log";
  ASSERT_EQ(RunToolFor(kTrainTool, {"--solver=" + (dir / "solver.prototxt")}, log, 170), 0)
      << ReadFileToString(log);
  const std::string text = ReadFileToString(log);
  EXPECT_NE(text.find("Iteration 200, Testing net (#0)"), std::string::npos) << text;
  EXPECT_NE(text.find("Optimization Done."), std::string::npos) << text;
  EXPECT_TRUE(FileExists(dir / "lenet_iter_200.caffemodel"));
  const float accuracy = LastTestOutput(text, "accuracy");
  std::printf("LeNet test accuracy after 200 iterations: %.4f\n", accuracy);
  // Chance is 0.1; this short run reaches about 0.95.
  EXPECT_GT(accuracy, 0.8f) << text;
}

// SIGINT stops a real training run cleanly; the snapshot it leaves resumes
// into exactly the weights an uninterrupted run reaches.
TEST(LeNetEndToEndTest, SigintSnapshotResumesToTheUninterruptedWeights) {
  if (!ToolsBuilt()) GTEST_SKIP() << "tools/train is not built";
  TempDir dir;
  MakeDigitLmdbs(dir.path(), 10, 1);
  NetParameter net = LeNetOn(dir / "train_lmdb", dir / "test_lmdb", 16, 10);
  AddCropAndMirror(&net, 24);
  WriteNet(net, dir / "lenet.prototxt");
  // No test net: only the training path matters here.
  WriteTextFile(dir / "run.prototxt",
                SolverText(dir / "lenet.prototxt", dir / "run", 1000000, 0, 0, 1));
  const std::string log = dir / "run.log";
  const pid_t pid = SpawnTool(kTrainTool, {"--solver=" + (dir / "run.prototxt")}, log);
  ASSERT_GT(pid, 0);
  for (int i = 0; i < 6000 && ReadFileToString(log).find("Iteration 3, loss") ==
                                  std::string::npos;
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(kill(pid, SIGINT), 0);
  ASSERT_EQ(WaitTool(pid, 60), 0) << ReadFileToString(log);
  EXPECT_NE(ReadFileToString(log).find("Optimization stopped early."), std::string::npos)
      << ReadFileToString(log);

  std::string state_file;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    if (entry.path().extension() == ".solverstate") state_file = entry.path().string();
  }
  ASSERT_FALSE(state_file.empty()) << ReadFileToString(log);
  SolverState state;
  ReadProtoFromBinaryFile(state_file, &state);
  ASSERT_GE(state.iter(), 3);
  EXPECT_EQ(state.layer_state_size(), 1);  // the train net's Data layer
  const int target = state.iter() + 4;

  ASSERT_EQ(RunToolFor(kTrainTool,
                       {"--solver=" + (dir / "run.prototxt"), "--snapshot=" + state_file,
                        StrCat("--iterations=", target)},
                       log, 60),
            0)
      << ReadFileToString(log);
  const std::string resumed = dir / StrCat("run_iter_", target, ".caffemodel");
  ASSERT_TRUE(FileExists(resumed)) << ReadFileToString(log);

  WriteTextFile(dir / "straight.prototxt",
                SolverText(dir / "lenet.prototxt", dir / "straight", 1000000, 0, 0, 1));
  ASSERT_EQ(RunToolFor(kTrainTool,
                       {"--solver=" + (dir / "straight.prototxt"),
                        StrCat("--iterations=", target)},
                       dir / "straight.log", 60),
            0)
      << ReadFileToString(dir / "straight.log");
  const auto expected = ModelBlobs(dir / StrCat("straight_iter_", target, ".caffemodel"));
  const auto got = ModelBlobs(resumed);
  ASSERT_EQ(expected.size(), 8u);  // conv1, conv2, ip1, ip2: weights and biases
  for (const auto& [name, values] : expected) {
    ASSERT_TRUE(got.count(name)) << name;
    EXPECT_TRUE(BitIdentical(values, got.at(name))) << name;
  }
}

// ---- resuming in-process: Data layer on LMDB with crop and mirror ----

SolverParameter CropMirrorSolver(const std::string& dir, const std::string& prefix,
                                 int max_iter) {
  NetParameter net = LeNetOn(dir + "/train_lmdb", dir + "/test_lmdb", 8, 7);
  AddCropAndMirror(&net, 24);
  WriteNet(net, dir + "/crop_mirror.prototxt");
  SolverParameter param = ParseText<SolverParameter>(
      SolverText(dir + "/crop_mirror.prototxt", dir + "/" + prefix, max_iter, 2, 4, 3));
  return param;
}

TEST(LeNetResumeTest, DataLayerWithCropAndMirrorResumesBitIdentically) {
  TempDir dir;
  MakeDigitLmdbs(dir.path(), 3, 2);  // 30 train records: several epochs
  constexpr int kHalf = 6;
  auto straight = CreateSolver(CropMirrorSolver(dir.path(), "straight", 2 * kHalf));
  straight->Solve();
  ASSERT_EQ(straight->iter(), 2 * kHalf);

  {
    auto first = CreateSolver(CropMirrorSolver(dir.path(), "half", kHalf));
    first->Solve();
  }
  const std::string state_file = dir / StrCat("half_iter_", kHalf, ".solverstate");
  ASSERT_TRUE(FileExists(state_file));
  SolverState state;
  ReadProtoFromBinaryFile(state_file, &state);
  ASSERT_EQ(state.layer_state_size(), 2);  // train and test Data layers
  EXPECT_EQ(state.layer_state(0).layer(), "mnist");

  auto resumed = CreateSolver(CropMirrorSolver(dir.path(), "resumed", 2 * kHalf));
  resumed->Solve(state_file);
  ASSERT_EQ(resumed->iter(), 2 * kHalf);
  EXPECT_TRUE(BitIdentical(SolverFloats(*straight), SolverFloats(*resumed)));
  ASSERT_EQ(straight->test_scores().size(), 1u);
  ASSERT_EQ(resumed->test_scores().size(), 1u);
  EXPECT_EQ(straight->test_scores()[0], resumed->test_scores()[0]);

  // Control: a Caffe-like state (readers restart at the first record, fresh
  // random crops) must part ways, or this test could not fail.
  state.clear_layer_state();
  state.clear_rng_state();
  WriteProtoToBinaryFile(state, dir / "caffe_like.solverstate");
  auto diverged = CreateSolver(CropMirrorSolver(dir.path(), "diverged", 2 * kHalf));
  diverged->Solve(dir / "caffe_like.solverstate");
  EXPECT_FALSE(BitIdentical(SolverFloats(*straight), SolverFloats(*diverged)));
}

// The reader states of every stateful layer of the test nets.
std::vector<std::string> TestNetStates(Solver& solver) {
  std::vector<std::string> states;
  for (const auto& net : solver.test_nets()) {
    for (const auto& layer : net->layers()) {
      if (auto* stateful = dynamic_cast<StatefulLayer*>(layer.get())) {
        states.push_back(stateful->SaveState());
      }
    }
  }
  return states;
}

// A stop that arrives in the middle of a test leaves a snapshot from which
// the resumed run repeats that whole test and goes on exactly as an
// uninterrupted run: the test readers are saved where the test began.
TEST(LeNetResumeTest, StopDuringATestResumesTheTestFromItsStart) {
  TempDir dir;
  MakeDigitLmdbs(dir.path(), 3, 2);
  SolverParameter param = CropMirrorSolver(dir.path(), "stopped", 12);
  param.set_test_iter(0, 3);
  auto stopped = CreateSolver(param);
  int calls_at_4 = 0;
  Solver* raw = stopped.get();
  // At iteration 4: once after the update, then once before each test batch.
  stopped->SetActionFunction([raw, &calls_at_4]() {
    if (raw->iter() == 4 && ++calls_at_4 == 3) return SolverAction::STOP;
    return SolverAction::NONE;
  });
  stopped->Solve();
  ASSERT_TRUE(stopped->requested_early_exit());
  ASSERT_EQ(stopped->iter(), 4);
  ASSERT_TRUE(FileExists(dir / "stopped_iter_4.solverstate"));

  SolverParameter resume_param = CropMirrorSolver(dir.path(), "resumed", 12);
  resume_param.set_test_iter(0, 3);
  auto resumed = CreateSolver(resume_param);
  resumed->Solve(dir / "stopped_iter_4.solverstate");
  SolverParameter straight3 = CropMirrorSolver(dir.path(), "straight3", 12);
  straight3.set_test_iter(0, 3);
  auto reference = CreateSolver(straight3);
  reference->Solve();
  EXPECT_TRUE(BitIdentical(SolverFloats(*reference), SolverFloats(*resumed)));
  EXPECT_EQ(reference->test_scores(), resumed->test_scores());
  EXPECT_TRUE(TestNetStates(*reference) == TestNetStates(*resumed));

  // A snapshot taken in the middle of a test (SIGHUP) neither disturbs the
  // run nor breaks resuming from it.
  SolverParameter hup_param = CropMirrorSolver(dir.path(), "hup", 12);
  hup_param.set_test_iter(0, 3);
  auto hup = CreateSolver(hup_param);
  int calls_at_8 = 0;
  raw = hup.get();
  hup->SetActionFunction([raw, &calls_at_8]() {
    if (raw->iter() == 8 && ++calls_at_8 == 3) return SolverAction::SNAPSHOT;
    return SolverAction::NONE;
  });
  hup->Solve();
  EXPECT_TRUE(BitIdentical(SolverFloats(*reference), SolverFloats(*hup)));
  ASSERT_TRUE(FileExists(dir / "hup_iter_8.solverstate"));
  SolverParameter again_param = CropMirrorSolver(dir.path(), "again", 12);
  again_param.set_test_iter(0, 3);
  auto again = CreateSolver(again_param);
  again->Solve(dir / "hup_iter_8.solverstate");
  EXPECT_TRUE(BitIdentical(SolverFloats(*reference), SolverFloats(*again)));
  EXPECT_EQ(reference->test_scores(), again->test_scores());
  EXPECT_TRUE(TestNetStates(*reference) == TestNetStates(*again));
}

// ---- the .caffemodel format ----

// The field numbers (and wire types) present at the top level of a message.
std::map<int, int> TopLevelFields(const std::string& bytes) {
  google::protobuf::io::CodedInputStream in(
      reinterpret_cast<const uint8_t*>(bytes.data()), static_cast<int>(bytes.size()));
  in.SetTotalBytesLimit(INT32_MAX);
  std::map<int, int> fields;
  for (uint32_t tag = in.ReadTag(); tag != 0; tag = in.ReadTag()) {
    fields[WireFormatLite::GetTagFieldNumber(tag)] = WireFormatLite::GetTagWireType(tag);
    if (!WireFormatLite::SkipField(&in, tag)) break;
  }
  return fields;
}

TEST(CaffemodelFormatTest, LeNetSnapshotIsWhatCaffeWrites) {
  TempDir dir;
  MakeDigitLmdbs(dir.path(), 2, 1);
  WriteNet(LeNetOn(dir / "train_lmdb", dir / "test_lmdb", 4, 5), dir / "lenet.prototxt");
  auto solver = CreateSolver(ParseText<SolverParameter>(
      SolverText(dir / "lenet.prototxt", dir / "lenet", 1, 0, 0, 0)));
  solver->Solve();
  const std::string file = dir / "lenet_iter_1.caffemodel";
  ASSERT_TRUE(FileExists(file));

  // On the wire: NetParameter name (1) and layer (100), never the V1
  // `layers` (2); weights as packed floats (5) with a BlobShape (7).
  const std::string bytes = ReadFileToString(file);
  EXPECT_EQ(TopLevelFields(bytes),
            (std::map<int, int>{{1, WireFormatLite::WIRETYPE_LENGTH_DELIMITED},
                                {100, WireFormatLite::WIRETYPE_LENGTH_DELIMITED}}));
  NetParameter net;
  ASSERT_TRUE(net.ParseFromString(bytes));
  std::string blob_bytes;
  net.layer(1).blobs(0).SerializeToString(&blob_bytes);
  EXPECT_EQ(TopLevelFields(blob_bytes),
            (std::map<int, int>{{5, WireFormatLite::WIRETYPE_LENGTH_DELIMITED},
                                {7, WireFormatLite::WIRETYPE_LENGTH_DELIMITED}}));

  // BVLC Caffe's train net for lenet_train_test.prototxt: the TRAIN data
  // layer, no accuracy layer, no splits; each layer's phase filled in.
  struct Expected {
    const char* name;
    const char* type;
    std::vector<std::vector<int>> shapes;
  };
  const std::vector<Expected> expected{
      {"mnist", "Data", {}},
      {"conv1", "Convolution", {{20, 1, 5, 5}, {20}}},
      {"pool1", "Pooling", {}},
      {"conv2", "Convolution", {{50, 20, 5, 5}, {50}}},
      {"pool2", "Pooling", {}},
      {"ip1", "InnerProduct", {{500, 800}, {500}}},
      {"relu1", "ReLU", {}},
      {"ip2", "InnerProduct", {{10, 500}, {10}}},
      {"loss", "SoftmaxWithLoss", {}},
  };
  EXPECT_EQ(net.name(), "LeNet");
  EXPECT_EQ(net.layers_size(), 0);
  ASSERT_EQ(net.layer_size(), static_cast<int>(expected.size()));
  for (size_t i = 0; i < expected.size(); ++i) {
    const LayerParameter& layer = net.layer(static_cast<int>(i));
    SCOPED_TRACE(layer.name());
    EXPECT_EQ(layer.name(), expected[i].name);
    EXPECT_EQ(layer.type(), expected[i].type);
    EXPECT_TRUE(layer.has_phase());
    EXPECT_EQ(layer.phase(), TRAIN);
    ASSERT_EQ(layer.blobs_size(), static_cast<int>(expected[i].shapes.size()));
    for (int b = 0; b < layer.blobs_size(); ++b) {
      const BlobProto& blob = layer.blobs(b);
      EXPECT_EQ(BlobProtoShape(blob), expected[i].shapes[b]);
      int64_t count = 1;
      for (int d : expected[i].shapes[b]) count *= d;
      EXPECT_EQ(blob.data_size(), count);
      EXPECT_EQ(blob.diff_size(), 0);
      EXPECT_EQ(blob.double_data_size(), 0);
      EXPECT_FALSE(blob.has_num() || blob.has_channels() || blob.has_height() ||
                   blob.has_width());
    }
  }
  EXPECT_EQ(net.layer(1).bottom(0), "data");
  EXPECT_EQ(net.layer(8).loss_weight_size(), 1);  // Caffe records the default weight

  // The deploy net takes the weights by layer name and classifies with them.
  Net deploy(CREMA_SOURCE_DIR "/models/lenet/deploy.prototxt", TEST);
  deploy.CopyTrainedLayersFrom(net);
  EXPECT_EQ(deploy.layer_by_name("ip1")->blobs()[0]->cpu_data()[7],
            net.layer(5).blobs(0).data(7));
  deploy.Forward();
  EXPECT_NEAR(deploy.blob_by_name("prob")->asum_data(), 64.f, 1e-3);
}

// ---- bad input through the train tool ----

TEST(LeNetEndToEndTest, MissingDataSourceIsOneSentenceNamingLayerAndFile) {
  if (!ToolsBuilt()) GTEST_SKIP() << "tools/train is not built";
  TempDir dir;
  WriteNet(LeNetOn(dir / "nowhere_lmdb", dir / "nowhere_lmdb", 4, 4), dir / "lenet.prototxt");
  WriteTextFile(dir / "solver.prototxt",
                SolverText(dir / "lenet.prototxt", dir / "lenet", 10, 1, 5, 1));
  const std::string log = dir / "log.txt";
  EXPECT_EQ(RunToolFor(kTrainTool, {"--solver=" + (dir / "solver.prototxt")}, log, 60), 1);
  const std::string text = ReadFileToString(log);
  EXPECT_NE(text.find("'mnist'"), std::string::npos) << text;
  EXPECT_NE(text.find(dir / "nowhere_lmdb"), std::string::npos) << text;
  EXPECT_EQ(text.find("Check failed"), std::string::npos) << text;
}

}  // namespace
}  // namespace testing
}  // namespace crema
