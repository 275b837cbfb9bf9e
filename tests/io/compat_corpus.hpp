// Where the shared compatibility corpus (../shared/compat) lives.
#ifndef CREMA_TESTS_IO_COMPAT_CORPUS_HPP_
#define CREMA_TESTS_IO_COMPAT_CORPUS_HPP_

#include <cstdlib>
#include <filesystem>
#include <string>

#include "support/test_util.hpp"

namespace crema {
namespace testing {

// The compat folder next to the source tree, else $CREMA_SHARED_DIR/compat
// (for checkouts kept elsewhere), else "".
inline std::string CompatCorpusDir() {
  std::string dir = SharedPath("compat");
  if (dir.empty()) {
    const char* env = std::getenv("CREMA_SHARED_DIR");
    const std::filesystem::path candidate =
        std::filesystem::path(env != nullptr ? env : "") / "compat";
    if (env != nullptr && std::filesystem::is_directory(candidate)) dir = candidate.string();
  }
  return dir;
}

inline const char* kNoCompatCorpus =
    "No compatibility corpus: ../shared/compat next to the source tree is missing "
    "(set CREMA_SHARED_DIR to a folder holding compat/).";

}  // namespace testing
}  // namespace crema

#endif  // CREMA_TESTS_IO_COMPAT_CORPUS_HPP_
