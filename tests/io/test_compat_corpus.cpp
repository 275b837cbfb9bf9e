// Every prototxt of the shared compatibility corpus (BVLC Caffe's models and
// examples in the current, V1 and V0 formats, and popular model-zoo nets)
// reads as a NetParameter or SolverParameter and upgrades to the current
// format. The MobileNet-SSD files use the layers and fields of a Caffe fork
// (SSD), which the schema carries with the fork's names and numbers: they
// read like the rest.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

#include "crema/common.hpp"
#include "crema/io/upgrade_proto.hpp"
#include "io/compat_corpus.hpp"

namespace crema {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> PrototxtFiles(const std::string& dir) {
  std::vector<std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file() && entry.path().extension() == ".prototxt") {
      files.push_back(entry.path().string());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

bool IsSolverFile(const std::string& path) {
  return fs::path(path).filename().string().find("solver") != std::string::npos;
}

TEST(CompatCorpus, EveryPrototxtReadsAndUpgrades) {
  const std::string dir = testing::CompatCorpusDir();
  if (dir.empty()) {
    GTEST_SKIP() << testing::kNoCompatCorpus;
  }
  const std::vector<std::string> files = PrototxtFiles(dir);
  ASSERT_GT(files.size(), 100u) << "the corpus in " << dir << " looks incomplete";
  int nets = 0, solvers = 0, fork_files = 0;
  for (const std::string& path : files) {
    SCOPED_TRACE(path);
    if (path.find("/mobilenet_ssd/") != std::string::npos) ++fork_files;
    if (IsSolverFile(path)) {
      ++solvers;
      SolverParameter solver;
      EXPECT_NO_THROW(ReadSolverParamsFromTextFile(path, &solver));
      EXPECT_FALSE(solver.has_solver_type());
      EXPECT_FALSE(SolverNeedsUpgrade(solver));
      continue;
    }
    ++nets;
    NetParameter net;
    try {
      ReadNetParamsFromTextFile(path, &net);
    } catch (const Error& e) {
      ADD_FAILURE() << e.what();
      continue;
    }
    EXPECT_EQ(net.layers_size(), 0);
    EXPECT_EQ(net.input_size(), 0);
    EXPECT_GT(net.layer_size(), 0);
    EXPECT_FALSE(NetNeedsUpgrade(net));
    for (const LayerParameter& layer : net.layer()) {
      EXPECT_FALSE(layer.type().empty()) << "layer '" << layer.name() << "' has no type";
    }
  }
  EXPECT_EQ(fork_files, 2);
  EXPECT_GT(nets, 60);
  EXPECT_GT(solvers, 40);
}

}  // namespace
}  // namespace crema
