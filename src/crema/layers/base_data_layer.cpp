#include "crema/layers/base_data_layer.hpp"

#include <sstream>

namespace crema {
namespace {

// Old prototxts put preprocessing in data_param / image_data_param; Caffe
// moves it into transform_param on upgrade. Done here for files not upgraded.
template <typename Legacy>
void MergeLegacyTransform(const Legacy& legacy, TransformationParameter* transform) {
  if (legacy.has_scale() && !transform->has_scale()) transform->set_scale(legacy.scale());
  if (legacy.has_mean_file() && !transform->has_mean_file()) {
    transform->set_mean_file(legacy.mean_file());
  }
  if (legacy.has_crop_size() && !transform->has_crop_size()) {
    transform->set_crop_size(legacy.crop_size());
  }
  if (legacy.has_mirror() && !transform->has_mirror()) transform->set_mirror(legacy.mirror());
}

constexpr const char* kStateMagic = "crema-reader-v1";

}  // namespace

void BaseDataLayer::LayerSetUp(const std::vector<Blob*>& bottom,
                               const std::vector<Blob*>& top) {
  output_labels_ = top.size() > 1;
  TransformationParameter transform = layer_param_.transform_param();
  if (layer_param_.has_data_param()) MergeLegacyTransform(layer_param_.data_param(), &transform);
  if (layer_param_.has_image_data_param()) {
    MergeLegacyTransform(layer_param_.image_data_param(), &transform);
  }
  if (layer_param_.has_window_data_param()) {
    MergeLegacyTransform(layer_param_.window_data_param(), &transform);
  }
  transformer_ = std::make_unique<DataTransformer>(transform, phase_, Describe());
  DataLayerSetUp(bottom, top);
}

std::string BaseDataLayer::WithoutOwner(const Error& error) const {
  const std::string message = error.what();
  const std::string prefix = Describe() + ": ";
  return message.compare(0, prefix.size(), prefix) == 0 ? message.substr(prefix.size())
                                                         : message;
}

BasePrefetchingDataLayer::BasePrefetchingDataLayer(const LayerParameter& param)
    : BaseDataLayer(param) {
  const int count = std::max(1, static_cast<int>(param.data_param().prefetch()));
  for (int i = 0; i < count; ++i) prefetch_.push_back(std::make_shared<Batch>());
}

BasePrefetchingDataLayer::~BasePrefetchingDataLayer() { StopPrefetch(); }

void BasePrefetchingDataLayer::LayerSetUp(const std::vector<Blob*>& bottom,
                                          const std::vector<Blob*>& top) {
  StopPrefetch();
  BaseDataLayer::LayerSetUp(bottom, top);
  StartPrefetch();
}

void BasePrefetchingDataLayer::StartPrefetch() {
  CHECK(!thread_.joinable());
  prefetch_free_.Resume();
  prefetch_full_.Resume();
  std::shared_ptr<Batch> batch;
  while (prefetch_full_.TryPop(&batch)) {}
  while (prefetch_free_.TryPop(&batch)) {}
  for (auto& b : prefetch_) {
    b->error_ = nullptr;
    prefetch_free_.Push(b);
  }
  stop_ = false;
  thread_ = std::thread([this] { PrefetchLoop(); });
}

void BasePrefetchingDataLayer::StopPrefetch() {
  if (!thread_.joinable()) return;
  stop_ = true;
  prefetch_free_.Interrupt();
  thread_.join();
}

void BasePrefetchingDataLayer::PrefetchLoop() {
  std::shared_ptr<Batch> batch;
  while (!stop_ && prefetch_free_.Pop(&batch)) {
    try {
      batch->state_ = ReaderState();
      LoadBatch(batch.get());
    } catch (...) {
      // Hand the error to the consumer and stop reading.
      batch->error_ = std::current_exception();
      prefetch_full_.Push(batch);
      return;
    }
    prefetch_full_.Push(batch);
  }
}

void BasePrefetchingDataLayer::Forward_cpu(const std::vector<Blob*>& bottom,
                                           const std::vector<Blob*>& top) {
  std::shared_ptr<Batch> batch;
  CHECK(prefetch_full_.Pop(&batch)) << "prefetch queue interrupted";
  if (batch->error_) {
    // Leave the failed batch at the front so later calls fail the same way.
    std::exception_ptr error = batch->error_;
    std::vector<std::shared_ptr<Batch>> rest;
    std::shared_ptr<Batch> other;
    while (prefetch_full_.TryPop(&other)) rest.push_back(other);
    prefetch_full_.Push(batch);
    for (auto& b : rest) prefetch_full_.Push(b);
    std::rethrow_exception(error);
  }
  top[0]->ReshapeLike(batch->data_);
  std::copy(batch->data_.cpu_data(), batch->data_.cpu_data() + batch->data_.count(),
            top[0]->mutable_cpu_data());
  if (output_labels_) {
    top[1]->ReshapeLike(batch->label_);
    std::copy(batch->label_.cpu_data(), batch->label_.cpu_data() + batch->label_.count(),
              top[1]->mutable_cpu_data());
  }
  prefetch_free_.Push(batch);
}

std::string BasePrefetchingDataLayer::SaveState() const {
  std::shared_ptr<Batch> batch;
  CHECK(prefetch_full_.Peek(&batch)) << "prefetch queue interrupted";
  if (batch->error_) std::rethrow_exception(batch->error_);
  return batch->state_;
}

void BasePrefetchingDataLayer::RestoreState(const std::string& state) {
  StopPrefetch();
  try {
    RestoreReaderState(state);
  } catch (...) {
    StartPrefetch();
    throw;
  }
  StartPrefetch();
}

std::string BasePrefetchingDataLayer::PackState(const std::string& position) const {
  std::ostringstream os;
  os << kStateMagic << '\n' << position.size() << '\n' << position
     << transformer_->SaveState();
  return os.str();
}

std::string BasePrefetchingDataLayer::UnpackState(const std::string& state) {
  std::istringstream is(state);
  std::string magic;
  size_t size = 0;
  std::getline(is, magic);
  is >> size;
  if (magic != kStateMagic || is.fail() || is.get() != '\n') {
    Fail("the saved reader state is not one this layer wrote.");
  }
  std::string position(size, '\0');
  is.read(&position[0], static_cast<std::streamsize>(size));
  if (is.gcount() != static_cast<std::streamsize>(size)) {
    Fail("the saved reader state is truncated.");
  }
  std::string rest((std::istreambuf_iterator<char>(is)), std::istreambuf_iterator<char>());
  transformer_->RestoreState(rest);
  return position;
}

}  // namespace crema
