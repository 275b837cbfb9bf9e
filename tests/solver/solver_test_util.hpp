// Helpers shared by the solver suites: a temporary folder and file I/O.
#ifndef CREMA_TESTS_SOLVER_SOLVER_TEST_UTIL_HPP_
#define CREMA_TESTS_SOLVER_SOLVER_TEST_UTIL_HPP_

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace crema {
namespace testing {

// A fresh folder under $TMPDIR, removed with everything in it at scope end.
class TempDir {
 public:
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "crema_solver_XXXXXX").string();
    path_ = ::mkdtemp(pattern.data()) ? pattern : "";
  }
  ~TempDir() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline void WriteTextFile(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

}  // namespace testing
}  // namespace crema

#endif  // CREMA_TESTS_SOLVER_SOLVER_TEST_UTIL_HPP_
