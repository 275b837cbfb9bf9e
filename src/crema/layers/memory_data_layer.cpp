#include "crema/layers/memory_data_layer.hpp"

#include "crema/layer_registry.hpp"

namespace crema {

void MemoryDataLayer::DataLayerSetUp(const std::vector<Blob*>& bottom,
                                     const std::vector<Blob*>& top) {
  const MemoryDataParameter& param = layer_param_.memory_data_param();
  batch_size_ = static_cast<int>(param.batch_size());
  channels_ = static_cast<int>(param.channels());
  height_ = static_cast<int>(param.height());
  width_ = static_cast<int>(param.width());
  size_ = channels_ * height_ * width_;
  if (batch_size_ <= 0 || size_ <= 0) {
    Fail("memory_data_param needs positive batch_size, channels, height and width (got ",
         batch_size_, ", ", channels_, ", ", height_, ", ", width_, ").");
  }
  top[0]->Reshape(batch_size_, channels_, height_, width_);
  top[1]->Reshape(std::vector<int>{batch_size_});
  added_data_.Reshape(batch_size_, channels_, height_, width_);
  added_label_.Reshape(std::vector<int>{batch_size_});
}

void MemoryDataLayer::CheckCount(size_t n, const char* what) const {
  if (n == 0) Fail("no ", what, " given.");
  if (n % batch_size_ != 0) {
    Fail("got ", n, " ", what, "; the count must be a multiple of the batch size ",
         batch_size_, ".");
  }
}

void MemoryDataLayer::Reset(float* data, float* labels, int n) {
  if (!data || !labels) Fail("Reset needs data and labels.");
  CheckCount(static_cast<size_t>(n), "examples");
  data_ = data;
  labels_ = labels;
  n_ = n;
  pos_ = 0;
}

void MemoryDataLayer::AddMatVector(const std::vector<cv::Mat>& images,
                                   const std::vector<int>& labels) {
  CheckCount(images.size(), "images");
  if (labels.size() != images.size()) {
    Fail("got ", images.size(), " images but ", labels.size(), " labels.");
  }
  const int n = static_cast<int>(images.size());
  added_data_.Reshape(n, channels_, height_, width_);
  added_label_.Reshape(std::vector<int>{n});
  transformer_->Transform(images, &added_data_);
  float* label = added_label_.mutable_cpu_data();
  for (int i = 0; i < n; ++i) label[i] = static_cast<float>(labels[i]);
  Reset(added_data_.mutable_cpu_data(), label, n);
}

void MemoryDataLayer::AddDatumVector(const std::vector<Datum>& datums) {
  CheckCount(datums.size(), "datums");
  const int n = static_cast<int>(datums.size());
  added_data_.Reshape(n, channels_, height_, width_);
  added_label_.Reshape(std::vector<int>{n});
  transformer_->Transform(datums, &added_data_);
  float* label = added_label_.mutable_cpu_data();
  for (int i = 0; i < n; ++i) label[i] = static_cast<float>(datums[i].label());
  Reset(added_data_.mutable_cpu_data(), label, n);
}

void MemoryDataLayer::set_batch_size(int batch_size) {
  if (batch_size <= 0) Fail("the batch size must be positive.");
  if (data_ && n_ % batch_size != 0) {
    Fail("the batch size ", batch_size, " does not divide the ", n_,
         " examples given to Reset.");
  }
  batch_size_ = batch_size;
  pos_ = 0;
}

void MemoryDataLayer::Forward_cpu(const std::vector<Blob*>& bottom,
                                  const std::vector<Blob*>& top) {
  if (!data_) Fail("has no data; call Reset or AddMatVector before Forward.");
  top[0]->Reshape(batch_size_, channels_, height_, width_);
  top[1]->Reshape(std::vector<int>{batch_size_});
  std::copy(data_ + static_cast<size_t>(pos_) * size_,
            data_ + static_cast<size_t>(pos_ + batch_size_) * size_,
            top[0]->mutable_cpu_data());
  std::copy(labels_ + pos_, labels_ + pos_ + batch_size_, top[1]->mutable_cpu_data());
  pos_ = (pos_ + batch_size_) % n_;
}

std::string MemoryDataLayer::SaveState() const { return std::to_string(pos_); }

void MemoryDataLayer::RestoreState(const std::string& state) {
  int pos = -1;
  try {
    pos = std::stoi(state);
  } catch (const std::exception&) {
  }
  if (pos < 0 || (n_ > 0 && pos >= n_)) Fail("the saved position '", state, "' is invalid.");
  pos_ = pos;
}

CREMA_REGISTER_LAYER("MemoryData", MemoryDataLayer);

}  // namespace crema
