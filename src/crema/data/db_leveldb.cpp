// LevelDB behind the db:: interface: Caffe's default DataParameter backend.
// A LevelDB folder holds CURRENT, LOG, MANIFEST-* and *.ldb files; LevelDB
// locks it (the LOCK file) for as long as one process has it open.
#include <leveldb/db.h>
#include <leveldb/write_batch.h>

#include <filesystem>
#include <map>
#include <mutex>

#include "crema/common.hpp"
#include "crema/data/db.hpp"

namespace crema {
namespace db {
namespace {

namespace fs = std::filesystem;

using SharedLevelDB = std::shared_ptr<leveldb::DB>;

// LevelDB's lock is held per process, so a second Open of the same folder in
// one process would fail (a train and a test net reading one dataset, as
// Caffe users hit). Opens of one folder share the handle instead; the map
// only holds weak references, so a folder is closed with its last user.
class OpenHandles {
 public:
  static OpenHandles& Get() {
    static OpenHandles* handles = new OpenHandles();  // never destroyed
    return *handles;
  }
  SharedLevelDB Find(const std::string& path) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = handles_.find(path);
    return it == handles_.end() ? nullptr : it->second.lock();
  }
  void Add(const std::string& path, const SharedLevelDB& db) {
    std::lock_guard<std::mutex> lock(mutex_);
    handles_[path] = db;
  }

 private:
  std::mutex mutex_;
  std::map<std::string, std::weak_ptr<leveldb::DB>> handles_;
};

class LevelDBCursor : public Cursor {
 public:
  explicit LevelDBCursor(SharedLevelDB db)
      : db_(std::move(db)), iter_(db_->NewIterator(leveldb::ReadOptions())) {
    SeekToFirst();
  }
  ~LevelDBCursor() override { iter_.reset(); }  // before db_ may go

  void SeekToFirst() override { iter_->SeekToFirst(); }

  void Next() override {
    if (!iter_->Valid()) return SeekToFirst();
    iter_->Next();
    if (!iter_->Valid()) {
      iter_->SeekToFirst();
      if (iter_->Valid()) ++wraps_;
    }
  }

  bool Seek(const std::string& key) override {
    const std::string current = valid() ? this->key() : std::string();
    iter_->Seek(key);
    if (iter_->Valid() && iter_->key() == leveldb::Slice(key)) return true;
    // Put the cursor back where it was.
    if (current.empty()) {
      iter_->SeekToFirst();
    } else {
      iter_->Seek(current);
    }
    return false;
  }

  std::string key() const override { return iter_->key().ToString(); }
  std::string value() const override { return iter_->value().ToString(); }
  bool valid() const override { return iter_->Valid(); }
  int64_t wraps() const override { return wraps_; }

 private:
  SharedLevelDB db_;
  std::unique_ptr<leveldb::Iterator> iter_;
  int64_t wraps_ = 0;
};

class LevelDBTransaction : public Transaction {
 public:
  LevelDBTransaction(SharedLevelDB db, const std::string& source)
      : db_(std::move(db)), source_(source) {}

  void Put(const std::string& key, const std::string& value) override {
    batch_.Put(key, value);
    ++pending_;
  }
  size_t pending() const override { return pending_; }

  void Commit() override {
    if (pending_ == 0) return;
    const leveldb::Status status = db_->Write(leveldb::WriteOptions(), &batch_);
    if (!status.ok()) {
      Throw("LevelDB '", source_, "': writing ", pending_, " records failed: ",
            status.ToString());
    }
    batch_.Clear();
    pending_ = 0;
  }

 private:
  SharedLevelDB db_;
  std::string source_;
  leveldb::WriteBatch batch_;
  size_t pending_ = 0;
};

// Refuses what LevelDB would misreport: a missing folder, an LMDB, a
// folder that holds something else, or (for NEW) one that is not empty.
void CheckFolder(const std::string& source, Mode mode) {
  std::error_code ec;
  const fs::path path(source);
  if (mode == Mode::READ) {
    if (!fs::exists(path, ec)) {
      Throw("LevelDB '", source, "' does not exist (no such file or directory).");
    }
    if (DetectBackend(source) == "lmdb") {
      Throw("'", source, "' is an LMDB database, not a LevelDB; read it with backend: LMDB "
            "(or --backend=lmdb).");
    }
    if (!fs::is_directory(path, ec) || !fs::exists(path / "CURRENT", ec)) {
      Throw("'", source, "' is not a LevelDB database (expected a folder holding "
            "CURRENT, MANIFEST-* and *.ldb files).");
    }
    return;
  }
  if (fs::exists(path, ec) && !(fs::is_directory(path, ec) && fs::is_empty(path, ec))) {
    if (mode == Mode::NEW) {
      Throw("Cannot create LevelDB '", source, "': it already exists; remove it first.");
    }
    if (DetectBackend(source) == "lmdb") {
      Throw("'", source, "' is an LMDB database, not a LevelDB; write it with backend "
            "lmdb.");
    }
  }
}

SharedLevelDB OpenLevelDB(const std::string& source, Mode mode) {
  leveldb::Options options;
  // Caffe's settings, so a crema-written LevelDB is laid out as Caffe's.
  options.block_size = 65536;
  options.write_buffer_size = size_t{64} << 20;
  options.max_open_files = 100;
  options.create_if_missing = mode != Mode::READ;
  options.error_if_exists = false;  // CheckFolder has refused non-empty folders
  leveldb::DB* raw = nullptr;
  const leveldb::Status status = leveldb::DB::Open(options, source, &raw);
  if (status.ok()) return SharedLevelDB(raw);
  const std::string reason = status.ToString();
  if (status.IsIOError() && reason.find("lock") != std::string::npos) {
    Throw("LevelDB '", source, "' is locked: another process has it open (LevelDB lets "
          "one process at a time use a database; close the other one first). ", reason);
  }
  Throw("Cannot open LevelDB '", source, "': ", reason);
}

class LevelDB : public DB {
 public:
  explicit LevelDB(const Options& options) : options_(options) {}
  ~LevelDB() override { Close(); }

  void Open(const std::string& source, Mode mode) override {
    Close();
    source_ = source;
    CheckFolder(source, mode);
    std::error_code ec;
    if (mode != Mode::READ) fs::create_directories(source, ec);
    if (ec) Throw("Cannot create the folder '", source, "' for a LevelDB: ", ec.message());
    const std::string id = fs::weakly_canonical(fs::path(source), ec).string();
    db_ = OpenHandles::Get().Find(id);
    if (db_) return;
    db_ = OpenLevelDB(source, mode);
    OpenHandles::Get().Add(id, db_);
  }

  void Close() override { db_.reset(); }

  std::unique_ptr<Cursor> NewCursor() override {
    CheckOpen("read");
    return std::make_unique<LevelDBCursor>(db_);
  }

  std::unique_ptr<Transaction> NewTransaction() override {
    CheckOpen("write");
    return std::make_unique<LevelDBTransaction>(db_, source_);
  }

  // LevelDB keeps no count: this walks every key.
  int64_t Count() override {
    CheckOpen("count the entries of");
    std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(leveldb::ReadOptions()));
    int64_t count = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next()) ++count;
    return count;
  }

  size_t map_size() const override { return 0; }  // LevelDB has no memory map
  const std::string& source() const override { return source_; }

 private:
  void CheckOpen(const char* action) const {
    if (!db_) {
      Throw("Cannot ", action, " the LevelDB '", source_, "': it is not open (open it "
            "first, or do not use it after Close()).");
    }
  }

  Options options_;
  std::string source_;
  SharedLevelDB db_;
};

}  // namespace

std::unique_ptr<DB> NewLevelDB(const Options& options) {
  return std::make_unique<LevelDB>(options);
}

}  // namespace db
}  // namespace crema
