#include "crema/layers/data_layer.hpp"

#include "crema/data/datum.hpp"
#include "crema/layer_registry.hpp"

namespace crema {

DataLayer::~DataLayer() {
  // The thread reads through cursor_; stop it before members go away.
  StopPrefetch();
}

void DataLayer::DataLayerSetUp(const std::vector<Blob*>& bottom,
                               const std::vector<Blob*>& top) {
  const DataParameter& param = layer_param_.data_param();
  const std::string& source = param.source();
  if (source.empty()) Fail("data_param.source is empty; give the path of an LMDB or LevelDB.");
  const int batch_size = static_cast<int>(param.batch_size());
  if (batch_size <= 0) Fail("data_param.batch_size must be positive.");
  try {
    db_ = db::OpenDB(Backend(), source, db::Mode::READ);
    cursor_ = db_->NewCursor();
  } catch (const Error& e) {
    Fail("cannot open data source '", source, "': ", e.what());
  }
  if (!cursor_->valid()) Fail("data source '", source, "' holds no records.");

  if (param.rand_skip() > 0) {
    const uint32_t skip = Crema::rng()() % param.rand_skip();
    LOG(INFO) << Describe() << ": skipping the first " << skip << " records";
    for (uint32_t i = 0; i < skip; ++i) cursor_->Next();
  }

  // Shape the tops from the first record, and transform it once (with the
  // engine's state put back) so size and mean problems show up here.
  const std::string key = cursor_->key();
  Datum datum = CurrentDatum();
  std::vector<int> shape;
  try {
    shape = transformer_->InferBlobShape(datum);
    Blob trial(shape);
    const std::string rng = transformer_->SaveState();
    transformer_->Transform(datum, &trial);
    transformer_->RestoreState(rng);
  } catch (const Error& e) {
    FailAt(key, WithoutOwner(e));
  }
  shape[0] = batch_size;
  top[0]->Reshape(shape);
  LOG(INFO) << Describe() << ": output data size " << top[0]->shape_string();
  if (output_labels_) top[1]->Reshape(std::vector<int>{batch_size});
}

std::string DataLayer::Backend() const {
  const DataParameter& param = layer_param_.data_param();
  if (param.has_backend()) return param.backend() == DataParameter::LMDB ? "lmdb" : "leveldb";
  // Unset means LEVELDB in Caffe; a folder that is an LMDB is read as one.
  const std::string found = db::DetectBackend(param.source());
  return found.empty() ? "leveldb" : found;
}

Datum DataLayer::CurrentDatum() const {
  Datum datum;
  if (!datum.ParseFromString(cursor_->value())) {
    FailAt(cursor_->key(), "the value is not a Datum message.");
  }
  return datum;
}

void DataLayer::LoadBatch(Batch* batch) {
  const int batch_size = static_cast<int>(layer_param_.data_param().batch_size());
  const int skip_before = shard_index_ * batch_size;
  const int skip_after = (shard_count_ - 1 - shard_index_) * batch_size;
  for (int i = 0; i < skip_before; ++i) cursor_->Next();
  Blob one;
  float* labels = nullptr;
  for (int item = 0; item < batch_size; ++item) {
    const std::string key = cursor_->key();
    Datum datum = CurrentDatum();
    try {
      if (item == 0) {
        // As in Caffe, each batch takes its shape from its first record.
        const std::vector<int> item_shape = transformer_->InferBlobShape(datum);
        std::vector<int> batch_shape = item_shape;
        batch_shape[0] = batch_size;
        batch->data_.Reshape(batch_shape);
        one.Reshape(item_shape);
        if (output_labels_) {
          batch->label_.Reshape(std::vector<int>{batch_size});
          labels = batch->label_.mutable_cpu_data();
        }
      }
      transformer_->Transform(datum, &one);
    } catch (const Error& e) {
      FailAt(key, WithoutOwner(e));
    }
    std::copy(one.cpu_data(), one.cpu_data() + one.count(),
              batch->data_.mutable_cpu_data() + batch->data_.offset(item));
    if (output_labels_) labels[item] = static_cast<float>(datum.label());
    cursor_->Next();
  }
  for (int i = 0; i < skip_after; ++i) cursor_->Next();
}

void DataLayer::SetShard(int index, int count) {
  if (count < 1 || index < 0 || index >= count) {
    Fail("shard ", index, " of ", count, " does not exist.");
  }
  // The next batch's state is where every reader's next round starts.
  const std::string state = SaveState();
  StopPrefetch();
  shard_index_ = index;
  shard_count_ = count;
  try {
    RestoreReaderState(state);
    if (index > 0) transformer_->InitRand();
  } catch (...) {
    StartPrefetch();
    throw;
  }
  StartPrefetch();
}

std::string DataLayer::ReaderState() const { return PackState(cursor_->key()); }

void DataLayer::RestoreReaderState(const std::string& state) {
  const std::string key = UnpackState(state);
  if (!cursor_->Seek(key)) {
    Fail("cannot resume reading '", layer_param_.data_param().source(),
         "': it holds no record with the saved key '", key, "'.");
  }
}

CREMA_REGISTER_LAYER("Data", DataLayer);

}  // namespace crema
