// Helpers for the data tests: scratch folders and small databases.
#ifndef CREMA_TESTS_DATA_DATA_TEST_UTIL_HPP_
#define CREMA_TESTS_DATA_DATA_TEST_UTIL_HPP_

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <string>

#include "crema/data/db.hpp"
#include "crema/proto/crema.pb.h"

namespace crema {
namespace testing {

// A fresh folder removed with the object.
class ScratchDir {
 public:
  ScratchDir() {
    static std::atomic<int> counter{0};
    path_ = (std::filesystem::temp_directory_path() /
             ("crema_data_test_" + std::to_string(::getpid()) + "_" +
              std::to_string(counter++)))
                .string();
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Writes n datums made by make(i) under keys "%08d" into a new database
// (an LMDB unless backend says "leveldb").
inline void WriteDatumDB(const std::string& path, int n,
                         const std::function<Datum(int)>& make,
                         const std::string& backend = "lmdb") {
  auto db = db::OpenDB(backend, path, db::Mode::NEW);
  auto txn = db->NewTransaction();
  std::string value;
  for (int i = 0; i < n; ++i) {
    make(i).SerializeToString(&value);
    txn->Put(db::FormatKey(i), value);
  }
  txn->Commit();
}

// A c x h x w uint8 datum whose pixel k is (base + k) % 256.
inline Datum MakeDatum(int c, int h, int w, int base, int label) {
  Datum d;
  d.set_channels(c);
  d.set_height(h);
  d.set_width(w);
  d.set_label(label);
  std::string data(static_cast<size_t>(c) * h * w, '\0');
  for (size_t k = 0; k < data.size(); ++k) data[k] = static_cast<char>((base + k) % 256);
  d.set_data(data);
  return d;
}

}  // namespace testing
}  // namespace crema

#endif  // CREMA_TESTS_DATA_DATA_TEST_UTIL_HPP_
