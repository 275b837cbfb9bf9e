// A small key/value database interface over the two stores Caffe's Data
// layer reads, LMDB and LevelDB: values are serialized Datum messages under
// sortable string keys ("%08d_<filename>"). Modeled on LevelDB's: open a DB,
// read it with a cursor, write it with batched transactions.
#ifndef CREMA_DATA_DB_HPP_
#define CREMA_DATA_DB_HPP_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace crema {
namespace db {

enum class Mode {
  READ,   // an existing database, read only
  WRITE,  // an existing database (created if missing), read and write
  NEW,    // a new database; its folder must not exist yet or be empty
};

struct Options {
  // LMDB's memory map starts at this size and doubles whenever a write does
  // not fit, so it only bounds the first allocation.
  size_t initial_map_size = size_t{64} << 20;
};

// Reads records in key order. Next() past the last record wraps around to
// the first (a reader cycles through epochs); valid() is false only when
// the database is empty.
class Cursor {
 public:
  virtual ~Cursor() = default;
  virtual void SeekToFirst() = 0;
  virtual void Next() = 0;
  // Moves to the record with exactly this key; false (position unchanged)
  // when there is none.
  virtual bool Seek(const std::string& key) = 0;
  virtual std::string key() const = 0;
  virtual std::string value() const = 0;
  virtual bool valid() const = 0;
  // How many times Next() wrapped around to the first record.
  virtual int64_t wraps() const = 0;
};

// Collects writes in memory; Commit() stores them at once (one LMDB
// transaction, growing the map as needed; one LevelDB write batch).
class Transaction {
 public:
  virtual ~Transaction() = default;
  virtual void Put(const std::string& key, const std::string& value) = 0;
  virtual void Commit() = 0;
  // Number of puts waiting for Commit().
  virtual size_t pending() const = 0;
};

class DB {
 public:
  virtual ~DB() = default;
  // Throws crema::Error naming the path on failure.
  virtual void Open(const std::string& source, Mode mode) = 0;
  virtual void Close() = 0;
  virtual std::unique_ptr<Cursor> NewCursor() = 0;
  virtual std::unique_ptr<Transaction> NewTransaction() = 0;
  // Number of records.
  virtual int64_t Count() = 0;
  // The current map size in bytes (it grows on demand); 0 for LevelDB.
  virtual size_t map_size() const = 0;
  virtual const std::string& source() const = 0;
};

// backend: "lmdb" or "leveldb" (either case). Opening a folder that holds
// the other kind is an error naming both.
std::unique_ptr<DB> GetDB(const std::string& backend, const Options& options = Options());
std::unique_ptr<DB> OpenDB(const std::string& backend, const std::string& source,
                           Mode mode, const Options& options = Options());

std::unique_ptr<DB> NewLmdb(const Options& options);
std::unique_ptr<DB> NewLevelDB(const Options& options);

// "lmdb" when the folder holds data.mdb, "leveldb" when it holds CURRENT,
// "" otherwise (missing, empty, or something else).
std::string DetectBackend(const std::string& source);

// Caffe's key for record `index` of a converted set: "%08d_" + name
// (or just "%08d" when name is empty).
std::string FormatKey(int64_t index, const std::string& name = "");

}  // namespace db
}  // namespace crema

#endif  // CREMA_DATA_DB_HPP_
