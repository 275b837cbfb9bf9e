#include "support/test_util.hpp"

#include <sys/stat.h>

namespace crema {
namespace testing {

std::string SharedPath(const std::string& relative) {
  const std::string path = std::string(CREMA_SOURCE_DIR) + "/../shared/" + relative;
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? path : "";
}

}  // namespace testing
}  // namespace crema
