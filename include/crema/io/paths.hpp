// Small helpers for file paths, as the tools and the solver use them.
#ifndef CREMA_IO_PATHS_HPP_
#define CREMA_IO_PATHS_HPP_

#include <string>

namespace crema {

bool EndsWith(const std::string& s, const std::string& suffix);
// The folder part of a path: "a/b" -> "a", "b" -> ".", "/b" -> "/".
std::string DirName(const std::string& path);
// The last component of a path: "a/b.txt" -> "b.txt".
std::string BaseName(const std::string& path);
bool IsDirectory(const std::string& path);

}  // namespace crema

#endif  // CREMA_IO_PATHS_HPP_
