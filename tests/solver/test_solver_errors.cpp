// Bad solver input stops with one clear sentence; relative net paths
// resolve as Caffe users expect.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>

#include "crema/solver.hpp"
#include "solver/solver_test_layers.hpp"
#include "solver/solver_test_util.hpp"
#include "support/test_util.hpp"

namespace crema {
namespace testing {
namespace {

// Runs fn, expecting a crema::Error whose message contains `needle` and is
// one sentence: one line, ending with a period.
template <typename Fn>
void ExpectSentence(Fn fn, const std::string& needle) {
  try {
    fn();
    ADD_FAILURE() << "expected an error mentioning: " << needle;
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(needle), std::string::npos) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
    EXPECT_EQ(what.back(), '.') << what;
  }
}

const char kSolverTail[] = "base_lr: 0.01 lr_policy: 'fixed' max_iter: 2 display: 0 ";

// Changes the working directory for the scope.
class ScopedCwd {
 public:
  explicit ScopedCwd(const std::string& dir) : old_(std::filesystem::current_path()) {
    std::filesystem::current_path(dir);
  }
  ~ScopedCwd() { std::filesystem::current_path(old_); }

 private:
  std::filesystem::path old_;
};

TEST(SolverErrorTest, MissingSolverFile) {
  ExpectSentence([] { LoadSolverParameter("/nonexistent/solver.prototxt"); },
                 "The solver file '/nonexistent/solver.prototxt' does not exist.");
}

TEST(SolverErrorTest, SolverWhoseNetFileIsMissing) {
  TempDir dir;
  WriteTextFile(dir / "solver.prototxt", StrCat("net: 'missing_net.prototxt' ", kSolverTail));
  ExpectSentence([&] { LoadSolverParameter(dir / "solver.prototxt"); },
                 "names net 'missing_net.prototxt', which exists neither");
  SolverParameter param = ParseText<SolverParameter>(StrCat("net: '", dir / "gone.prototxt", "' ",
                                                            kSolverTail));
  ExpectSentence([&] { CreateSolver(param); }, "net file '" + (dir / "gone.prototxt") +
                                                   "' does not exist.");
}

TEST(SolverErrorTest, RelativeNetPathResolvesAgainstCwdThenSolverFolder) {
  TempDir dir;
  std::filesystem::create_directory(dir / "models");
  WriteTextFile(dir / "models/net.prototxt", TinyNetText(2, 3, 2));
  WriteTextFile(dir / "models/solver.prototxt", StrCat("net: 'net.prototxt' ", kSolverTail));
  {
    // From the parent folder, 'net.prototxt' is only found next to the solver.
    ScopedCwd cwd(dir.path());
    const SolverParameter param = LoadSolverParameter("models/solver.prototxt");
    EXPECT_EQ(param.net(), "models/net.prototxt");
    EXPECT_EQ(param.snapshot_prefix(), "models/solver");  // Caffe's default
    EXPECT_EQ(CreateSolver(param)->net().name(), "tiny");
  }
  {
    // A file of that name in the working directory wins.
    WriteTextFile(dir / "net.prototxt", TinyNetText(2, 3, 2));
    ScopedCwd cwd(dir.path());
    EXPECT_EQ(LoadSolverParameter("models/solver.prototxt").net(), "net.prototxt");
  }
  // A snapshot_prefix that is a folder gets the solver file's stem.
  WriteTextFile(dir / "models/s2.prototxt",
                StrCat("net: 'net.prototxt' snapshot_prefix: '", dir.path(), "' ", kSolverTail));
  EXPECT_EQ(LoadSolverParameter(dir / "models/s2.prototxt").snapshot_prefix(), dir / "s2");
}

TEST(SolverErrorTest, SolverWithNoNet) {
  ExpectSentence([] { CreateSolver(ParseText<SolverParameter>(kSolverTail)); },
                 "names no net to train");
  SolverParameter two = ParseText<SolverParameter>(
      StrCat("net: 'a.prototxt' train_net: 'b.prototxt' ", kSolverTail));
  ExpectSentence([&] { CreateSolver(two); }, "more than one train net");
}

SolverParameter TinySolver(const std::string& extra) {
  SolverParameter param = ParseText<SolverParameter>(
      StrCat("net_param { ", TinyNetText(2, 3, 2), " } ", kSolverTail));
  param.MergeFrom(ParseText<SolverParameter>(extra));
  return param;
}

TEST(SolverErrorTest, NegativeBaseLr) {
  ExpectSentence([] { CreateSolver(TinySolver("base_lr: -0.1")); },
                 "base_lr is -0.1; a learning rate must be zero or positive.");
}

TEST(SolverErrorTest, UnknownSolverType) {
  ExpectSentence([] { CreateSolver(TinySolver("type: 'Adamax'")); },
                 "Unknown solver type 'Adamax'; known types: AdaDelta, AdaGrad, Adam, "
                 "Nesterov, RMSProp, SGD.");
  ExpectSentence([] { CreateSolver(TinySolver("type: 'SGD' solver_type: ADAM")); },
                 "keep only type");
}

TEST(SolverErrorTest, OtherBadSettings) {
  ExpectSentence([] { CreateSolver(TinySolver("lr_policy: 'cosine'")); }, "Unknown lr_policy");
  ExpectSentence([] { CreateSolver(TinySolver("snapshot_format: HDF5")); }, "HDF5");
  ExpectSentence([] { CreateSolver(TinySolver("regularization_type: 'L3'")); },
                 "regularization_type");
  ExpectSentence([] { CreateSolver(TinySolver("test_iter: 3")); }, "test_interval");
  ExpectSentence([] { CreateSolver(TinySolver("snapshot: 10")); }, "snapshot_prefix");
  ExpectSentence([] { CreateSolver(TinySolver("snapshot: 10 snapshot_prefix: '/no/such/dir/x'")); },
                 "make sure its folder exists and is writable");
  ExpectSentence([] { CreateSolver(TinySolver("type: 'AdaGrad' momentum: 0.9")); },
                 "does not use momentum");
  ExpectSentence([] { CreateSolver(TinySolver("weights: '/no/such.caffemodel'")); },
                 "does not exist");
}

}  // namespace
}  // namespace testing
}  // namespace crema
