// Every solver of the zoo parses and trains the net of its own folder:
// models/NAME/solver.prototxt names models/NAME/train_val.prototxt, and
// every other *solver*.prototxt (LeNet's) names a file of its folder that
// exists. Paths are relative to the repository root, where the tools run.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "crema/common.hpp"
#include "crema/io/upgrade_proto.hpp"

namespace crema {
namespace {

namespace fs = std::filesystem;

TEST(ZooSolversTest, EverySolverNamesItsFoldersTrainValNet) {
  const fs::path models = fs::path(CREMA_SOURCE_DIR) / "models";
  std::vector<fs::path> folders;
  for (const auto& entry : fs::directory_iterator(models)) {
    if (entry.is_directory()) folders.push_back(entry.path());
  }
  std::sort(folders.begin(), folders.end());
  int with_train_val = 0;
  for (const fs::path& folder : folders) {
    const std::string name = folder.filename().string();
    SCOPED_TRACE(name);
    int solvers = 0;
    for (const auto& entry : fs::directory_iterator(folder)) {
      const std::string file = entry.path().filename().string();
      if (entry.path().extension() != ".prototxt" ||
          file.find("solver") == std::string::npos) {
        continue;
      }
      ++solvers;
      SolverParameter solver;
      try {
        ReadSolverParamsFromTextFile(entry.path().string(), &solver);
      } catch (const Error& e) {
        ADD_FAILURE() << e.what();
        continue;
      }
      EXPECT_EQ(0u, solver.net().rfind("models/" + name + "/", 0))
          << file << " trains '" << solver.net() << "', outside models/" << name;
      EXPECT_TRUE(fs::exists(fs::path(CREMA_SOURCE_DIR) / solver.net()))
          << file << " trains '" << solver.net() << "', which does not exist";
      if (file == "solver.prototxt") {
        EXPECT_EQ("models/" + name + "/train_val.prototxt", solver.net());
      }
    }
    EXPECT_GT(solvers, 0) << "models/" << name << " has no solver";
    if (fs::exists(folder / "train_val.prototxt")) {
      ++with_train_val;
      EXPECT_TRUE(fs::exists(folder / "solver.prototxt"))
          << "models/" << name << " has train_val.prototxt but no solver.prototxt";
    }
  }
  // alexnet, caffenet, fcn32s, googlenet, mobilenet, resnet50, squeezenet, vgg16.
  EXPECT_GE(with_train_val, 8);
}

}  // namespace
}  // namespace crema
