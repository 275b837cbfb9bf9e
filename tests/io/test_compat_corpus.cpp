// Every prototxt of the shared compatibility corpus (BVLC Caffe's models and
// examples in the current, V1 and V0 formats, and popular model-zoo nets)
// reads as a NetParameter or SolverParameter and upgrades to the current
// format. The MobileNet-SSD files use layers of a Caffe fork (SSD), whose
// fields this schema does not have: they must fail with a message naming the
// file, the line and the unknown field.
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

std::string LineOf(const std::string& path, int line) {
  std::ifstream in(path);
  std::string text;
  for (int i = 0; i < line && std::getline(in, text); ++i) {
  }
  return text;
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
    if (path.find("/mobilenet_ssd/") != std::string::npos) {
      ++fork_files;
      NetParameter net;
      try {
        ReadNetParamsFromTextFile(path, &net);
        ADD_FAILURE() << "expected a parse error for a file using SSD-fork fields";
      } catch (const Error& e) {
        // "path:line:col: Message type "crema.LayerParameter" has no field named "x"."
        const std::string message = e.what();
        std::smatch m;
        const std::regex pattern(":([0-9]+):([0-9]+): .*no field named \"([A-Za-z0-9_]+)\"");
        ASSERT_TRUE(std::regex_search(message, m, pattern)) << message;
        EXPECT_EQ(message.rfind(path, 0), 0u) << "the message should start with the path: "
                                              << message;
        const std::string line = LineOf(path, std::stoi(m[1].str()));
        EXPECT_NE(line.find(m[3].str()), std::string::npos)
            << "line " << m[1] << " (" << line << ") does not hold field " << m[3];
      }
      continue;
    }
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
