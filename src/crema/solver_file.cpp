// Reading a solver file the way `train --solver` does: relative paths and
// Caffe's default snapshot prefix.
#include <string>

#include "crema/io/paths.hpp"
#include "crema/io/proto_io.hpp"
#include "crema/io/upgrade_proto.hpp"
#include "crema/solver.hpp"

namespace crema {
namespace {

// A relative net path as Caffe users expect: the working directory first,
// then the folder of the solver file that names it.
void ResolveNetPath(const std::string& solver_file, const std::string& field,
                    std::string* path) {
  if (path->empty() || (*path)[0] == '/' || FileExists(*path)) return;
  const std::string dir = DirName(solver_file);
  const std::string candidate = dir + "/" + *path;
  if (FileExists(candidate)) {
    *path = candidate;
    return;
  }
  Throw("The solver file '", solver_file, "' names ", field, " '", *path,
        "', which exists neither in the working directory nor in the solver "
        "file's folder '", dir, "'.");
}

}  // namespace

SolverParameter LoadSolverParameter(const std::string& solver_file) {
  if (IsDirectory(solver_file) || !FileExists(solver_file)) {
    Throw("The solver file '", solver_file, "' does not exist.");
  }
  SolverParameter param;
  ReadSolverParamsFromTextFile(solver_file, &param);
  if (param.has_net()) ResolveNetPath(solver_file, "net", param.mutable_net());
  if (param.has_train_net()) {
    ResolveNetPath(solver_file, "train_net", param.mutable_train_net());
  }
  for (int i = 0; i < param.test_net_size(); ++i) {
    ResolveNetPath(solver_file, "test_net", param.mutable_test_net(i));
  }
  // Caffe's default prefix: the solver file's path without its extension;
  // a prefix that is a folder gets the solver file's stem inside it.
  std::string stem = BaseName(solver_file);
  const size_t dot = stem.find_last_of('.');
  if (dot != std::string::npos && dot > 0) stem = stem.substr(0, dot);
  if (!param.has_snapshot_prefix()) {
    const std::string dir = DirName(solver_file);
    param.set_snapshot_prefix(solver_file.find('/') == std::string::npos
                                  ? stem
                                  : dir + "/" + stem);
    LOG(INFO) << "snapshot_prefix was not specified and is set to "
              << param.snapshot_prefix();
  } else if (IsDirectory(param.snapshot_prefix())) {
    std::string dir = param.snapshot_prefix();
    if (!EndsWith(dir, "/")) dir += "/";
    param.set_snapshot_prefix(dir + stem);
    LOG(INFO) << "snapshot_prefix is a directory and is set to "
              << param.snapshot_prefix();
  }
  return param;
}

}  // namespace crema
