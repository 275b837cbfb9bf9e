// LMDB behind the db:: interface. One environment per DB object; cursors
// and transactions borrow it, so the DB must outlive them.
#include <lmdb.h>

#include <cerrno>
#include <filesystem>

#include "crema/common.hpp"
#include "crema/data/db.hpp"

namespace crema {
namespace db {
namespace {

namespace fs = std::filesystem;

void CheckLmdb(int rc, const std::string& what, const std::string& source) {
  if (rc == MDB_SUCCESS) return;
  const bool damaged = rc == MDB_CORRUPTED || rc == MDB_PAGE_NOTFOUND || rc == MDB_INVALID;
  Throw("LMDB '", source, "': ", what, ": ", mdb_strerror(rc),
        damaged ? ". The database is damaged; copy or convert it again." : "");
}

class LmdbCursor : public Cursor {
 public:
  LmdbCursor(MDB_env* env, const std::string& source) : source_(source) {
    CheckLmdb(mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn_),
              "cannot begin a read transaction", source_);
    int rc = mdb_dbi_open(txn_, nullptr, 0, &dbi_);
    if (rc == MDB_SUCCESS) rc = mdb_cursor_open(txn_, dbi_, &cursor_);
    if (rc != MDB_SUCCESS) {
      mdb_txn_abort(txn_);
      CheckLmdb(rc, "cannot open a cursor", source_);
    }
    SeekToFirst();
  }
  ~LmdbCursor() override {
    mdb_cursor_close(cursor_);
    mdb_txn_abort(txn_);
  }

  void SeekToFirst() override { Get(MDB_FIRST); }

  void Next() override {
    if (!valid_) return SeekToFirst();
    if (!Get(MDB_NEXT)) {
      Get(MDB_FIRST);
      if (valid_) ++wraps_;
    }
  }

  bool Seek(const std::string& key) override {
    const std::string current = valid_ ? this->key() : std::string();
    MDB_val k{key.size(), const_cast<char*>(key.data())};
    const int rc = mdb_cursor_get(cursor_, &k, &value_, MDB_SET_KEY);
    if (rc == MDB_SUCCESS) {
      key_ = k;
      valid_ = true;
      return true;
    }
    if (rc != MDB_NOTFOUND) CheckLmdb(rc, "seek failed", source_);
    // Put the cursor back where it was.
    if (valid_) {
      MDB_val back{current.size(), const_cast<char*>(current.data())};
      valid_ = mdb_cursor_get(cursor_, &back, &value_, MDB_SET_KEY) == MDB_SUCCESS;
      if (valid_) key_ = back;
    }
    return false;
  }

  std::string key() const override {
    return std::string(static_cast<const char*>(key_.mv_data), key_.mv_size);
  }
  std::string value() const override {
    return std::string(static_cast<const char*>(value_.mv_data), value_.mv_size);
  }
  bool valid() const override { return valid_; }
  int64_t wraps() const override { return wraps_; }

 private:
  bool Get(MDB_cursor_op op) {
    const int rc = mdb_cursor_get(cursor_, &key_, &value_, op);
    if (rc == MDB_NOTFOUND) {
      valid_ = false;
      return false;
    }
    CheckLmdb(rc, "cursor read failed", source_);
    valid_ = true;
    return true;
  }

  std::string source_;
  MDB_txn* txn_ = nullptr;
  MDB_dbi dbi_ = 0;
  MDB_cursor* cursor_ = nullptr;
  MDB_val key_{0, nullptr};
  MDB_val value_{0, nullptr};
  bool valid_ = false;
  int64_t wraps_ = 0;
};

class LmdbTransaction : public Transaction {
 public:
  LmdbTransaction(MDB_env* env, const std::string& source)
      : env_(env), source_(source) {}
  ~LmdbTransaction() override = default;

  void Put(const std::string& key, const std::string& value) override {
    keys_.push_back(key);
    values_.push_back(value);
  }

  size_t pending() const override { return keys_.size(); }

  void Commit() override {
    if (keys_.empty()) return;
    // A batch that does not fit is rolled back, the map doubled, and the
    // whole batch written again: callers never see MDB_MAP_FULL.
    while (!TryCommit()) DoubleMapSize();
    keys_.clear();
    values_.clear();
  }

 private:
  bool TryCommit() {
    MDB_txn* txn = nullptr;
    int rc = mdb_txn_begin(env_, nullptr, 0, &txn);
    if (rc == MDB_MAP_RESIZED) {  // another process grew the map
      CheckLmdb(mdb_env_set_mapsize(env_, 0), "cannot adopt the new map size", source_);
      rc = mdb_txn_begin(env_, nullptr, 0, &txn);
    }
    CheckLmdb(rc, "cannot begin a write transaction", source_);
    MDB_dbi dbi;
    rc = mdb_dbi_open(txn, nullptr, 0, &dbi);
    if (rc != MDB_SUCCESS) {
      mdb_txn_abort(txn);
      CheckLmdb(rc, "cannot open the database", source_);
    }
    for (size_t i = 0; i < keys_.size(); ++i) {
      MDB_val k{keys_[i].size(), const_cast<char*>(keys_[i].data())};
      MDB_val v{values_[i].size(), const_cast<char*>(values_[i].data())};
      rc = mdb_put(txn, dbi, &k, &v, 0);
      if (rc == MDB_MAP_FULL) {
        mdb_txn_abort(txn);
        return false;
      }
      if (rc != MDB_SUCCESS) {
        mdb_txn_abort(txn);
        CheckLmdb(rc, StrCat("cannot write key '", keys_[i], "'"), source_);
      }
    }
    rc = mdb_txn_commit(txn);  // frees txn whatever the outcome
    if (rc == MDB_MAP_FULL) return false;
    CheckLmdb(rc, "commit failed", source_);
    return true;
  }

  void DoubleMapSize() {
    MDB_envinfo info;
    CheckLmdb(mdb_env_info(env_, &info), "cannot query the map size", source_);
    const size_t new_size = info.me_mapsize * 2;
    CheckLmdb(mdb_env_set_mapsize(env_, new_size),
              StrCat("cannot grow the map to ", new_size, " bytes"), source_);
    VLOG(1) << "LMDB '" << source_ << "': map grown to " << new_size << " bytes";
  }

  MDB_env* env_;
  std::string source_;
  std::vector<std::string> keys_;
  std::vector<std::string> values_;
};

class Lmdb : public DB {
 public:
  explicit Lmdb(const Options& options) : options_(options) {}
  ~Lmdb() override { Close(); }

  void Open(const std::string& source, Mode mode) override {
    Close();
    source_ = source;
    std::error_code ec;
    if (mode == Mode::READ) {
      if (!fs::exists(source, ec)) {
        Throw("LMDB '", source, "' does not exist (no such file or directory).");
      }
      if (DetectBackend(source) == "leveldb") {
        Throw("'", source, "' is a LevelDB database, not an LMDB; read it with backend: "
              "LEVELDB (or --backend=leveldb).");
      }
      if (!fs::is_directory(source, ec) || !fs::exists(fs::path(source) / "data.mdb", ec)) {
        Throw("'", source, "' is not an LMDB database (expected a folder holding data.mdb).");
      }
    } else {
      if (mode == Mode::WRITE && DetectBackend(source) == "leveldb") {
        Throw("'", source, "' is a LevelDB database, not an LMDB; write it with backend "
              "leveldb.");
      }
      if (mode == Mode::NEW && fs::exists(source, ec) &&
          !(fs::is_directory(source, ec) && fs::is_empty(source, ec))) {
        Throw("Cannot create LMDB '", source, "': it already exists; remove it first.");
      }
      fs::create_directories(source, ec);
      if (ec) Throw("Cannot create the folder '", source, "' for an LMDB: ", ec.message());
    }
    unsigned int flags = MDB_NOTLS;
    if (mode == Mode::READ) flags |= MDB_RDONLY;
    int rc = TryOpen(flags);
    if (rc == EACCES && mode == Mode::READ) rc = TryOpen(flags | MDB_NOLOCK);  // read-only folder
    if (rc != MDB_SUCCESS) {
      Throw("Cannot open LMDB '", source, "': ", mdb_strerror(rc));
    }
    if (mode == Mode::READ) CheckNotTruncated();
  }

  void Close() override {
    if (env_) mdb_env_close(env_);
    env_ = nullptr;
  }

  std::unique_ptr<Cursor> NewCursor() override {
    CheckOpen("read");
    return std::make_unique<LmdbCursor>(env_, source_);
  }

  std::unique_ptr<Transaction> NewTransaction() override {
    CheckOpen("write");
    return std::make_unique<LmdbTransaction>(env_, source_);
  }

  int64_t Count() override {
    CheckOpen("count the entries of");
    MDB_stat stat;
    CheckLmdb(mdb_env_stat(env_, &stat), "cannot read statistics", source_);
    return static_cast<int64_t>(stat.ms_entries);
  }

  size_t map_size() const override {
    if (!env_) return 0;
    MDB_envinfo info;
    if (mdb_env_info(env_, &info) != MDB_SUCCESS) return 0;
    return info.me_mapsize;
  }

  const std::string& source() const override { return source_; }

 private:
  // A DB that was never opened, or was closed, has no environment to use.
  void CheckOpen(const char* action) const {
    if (!env_) {
      Throw("Cannot ", action, " the LMDB '", source_, "': it is not open (open it first, "
            "or do not use it after Close()).");
    }
  }

  // LMDB maps data.mdb into memory: reading a page past the end of a file
  // cut short (an interrupted copy, a full disk) would kill the process with
  // SIGBUS, so a file shorter than its pages say is refused up front.
  void CheckNotTruncated() {
    MDB_envinfo info;
    MDB_stat stat;
    CheckLmdb(mdb_env_info(env_, &info), "cannot read its header", source_);
    CheckLmdb(mdb_env_stat(env_, &stat), "cannot read statistics", source_);
    const uintmax_t needed = (static_cast<uintmax_t>(info.me_last_pgno) + 1) * stat.ms_psize;
    std::error_code ec;
    const uintmax_t size = fs::file_size(fs::path(source_) / "data.mdb", ec);
    if (ec || size >= needed) return;
    const std::string source = source_;
    Close();
    Throw("LMDB '", source, "' is truncated: its data.mdb holds ", size,
          " bytes, but its pages reach byte ", needed,
          " (an interrupted copy or a full disk?). Copy or convert it again.");
  }

  int TryOpen(unsigned int flags) {
    int rc = mdb_env_create(&env_);
    if (rc != MDB_SUCCESS) return rc;
    rc = mdb_env_set_mapsize(env_, options_.initial_map_size);
    if (rc == MDB_SUCCESS) rc = mdb_env_open(env_, source_.c_str(), flags, 0664);
    if (rc != MDB_SUCCESS) {
      mdb_env_close(env_);
      env_ = nullptr;
    }
    return rc;
  }

  Options options_;
  std::string source_;
  MDB_env* env_ = nullptr;
};

}  // namespace

std::unique_ptr<DB> NewLmdb(const Options& options) {
  return std::make_unique<Lmdb>(options);
}

}  // namespace db
}  // namespace crema
