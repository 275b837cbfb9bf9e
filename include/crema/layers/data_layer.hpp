// Data: reads Datum records from an LMDB or a LevelDB (data_param.source,
// data_param.backend; unset: whichever the folder holds) in key order,
// wrapping around at the end, in a background thread; tops are data
// (batch_size x C x H x W after transform_param) and optionally label
// (batch_size).
#ifndef CREMA_LAYERS_DATA_LAYER_HPP_
#define CREMA_LAYERS_DATA_LAYER_HPP_

#include <memory>
#include <string>
#include <vector>

#include "crema/data/db.hpp"
#include "crema/layers/base_data_layer.hpp"
#include "crema/stateful.hpp"

namespace crema {

class DataLayer : public BasePrefetchingDataLayer, public ShardableLayer {
 public:
  explicit DataLayer(const LayerParameter& param) : BasePrefetchingDataLayer(param) {}
  ~DataLayer() override;
  void DataLayerSetUp(const std::vector<Blob*>& bottom,
                      const std::vector<Blob*>& top) override;
  const char* type() const override { return "Data"; }

  // Data parallelism (ShardableLayer). The saved state stays the position
  // of the first of a shard's batches, the same for every reader. A reader
  // other than the first reseeds its transformer from Crema::rng().
  void SetShard(int index, int count) override;
  int shard_index() const { return shard_index_; }
  int shard_count() const { return shard_count_; }

 protected:
  void LoadBatch(Batch* batch) override;
  // The key of the next record to read.
  std::string ReaderState() const override;
  void RestoreReaderState(const std::string& state) override;

 private:
  // "lmdb" or "leveldb": data_param.backend, else what the source holds.
  std::string Backend() const;
  // The datum under the cursor; a record that is not a Datum is an error.
  Datum CurrentDatum() const;
  // Errors while reading name the layer, the source and the record key.
  template <typename... Args>
  [[noreturn]] void FailAt(const std::string& key, const Args&... args) const {
    Fail("reading '", layer_param_.data_param().source(), "', record '", key, "': ",
         args...);
  }

  std::unique_ptr<db::DB> db_;
  std::unique_ptr<db::Cursor> cursor_;
  int shard_index_ = 0;
  int shard_count_ = 1;
};

}  // namespace crema

#endif  // CREMA_LAYERS_DATA_LAYER_HPP_
