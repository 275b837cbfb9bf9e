// The backend-independent part of db::: choosing a backend and Caffe's keys.
#include "crema/data/db.hpp"

#include <cstdio>
#include <filesystem>

#include "crema/common.hpp"

namespace crema {
namespace db {

std::unique_ptr<DB> GetDB(const std::string& backend, const Options& options) {
  if (backend == "lmdb" || backend == "LMDB") return NewLmdb(options);
  if (backend == "leveldb" || backend == "LEVELDB") return NewLevelDB(options);
  Throw("Unknown database backend '", backend, "'; crema supports 'lmdb' and 'leveldb'.");
}

std::unique_ptr<DB> OpenDB(const std::string& backend, const std::string& source,
                           Mode mode, const Options& options) {
  auto db = GetDB(backend, options);
  db->Open(source, mode);
  return db;
}

std::string DetectBackend(const std::string& source) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path path(source);
  if (!fs::is_directory(path, ec)) return "";
  if (fs::exists(path / "data.mdb", ec)) return "lmdb";
  if (fs::exists(path / "CURRENT", ec)) return "leveldb";
  return "";
}

std::string FormatKey(int64_t index, const std::string& name) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%08lld", static_cast<long long>(index));
  return name.empty() ? std::string(buffer) : std::string(buffer) + "_" + name;
}

}  // namespace db
}  // namespace crema
