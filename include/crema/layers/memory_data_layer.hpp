// MemoryData: hands the net batches from memory the program provides:
// Reset() with raw arrays (used as they are, not transformed) or
// AddMatVector() with images (transformed by transform_param). Tops: data
// (batch_size x channels x height x width) and label (batch_size).
#ifndef CREMA_LAYERS_MEMORY_DATA_LAYER_HPP_
#define CREMA_LAYERS_MEMORY_DATA_LAYER_HPP_

#include <opencv2/core.hpp>

#include <vector>

#include "crema/stateful.hpp"
#include "crema/layers/base_data_layer.hpp"

namespace crema {

class MemoryDataLayer : public BaseDataLayer, public StatefulLayer {
 public:
  explicit MemoryDataLayer(const LayerParameter& param) : BaseDataLayer(param) {}
  void DataLayerSetUp(const std::vector<Blob*>& bottom,
                      const std::vector<Blob*>& top) override;
  const char* type() const override { return "MemoryData"; }
  int ExactNumTopBlobs() const override { return 2; }

  // Uses n examples at data (n x C x H x W) and labels (n) without copying;
  // the caller keeps them alive. n must be a multiple of the batch size.
  void Reset(float* data, float* labels, int n);
  // Transforms the images into the layer's own buffer and uses them.
  void AddMatVector(const std::vector<cv::Mat>& images, const std::vector<int>& labels);
  void AddDatumVector(const std::vector<Datum>& datums);
  void set_batch_size(int batch_size);

  int batch_size() const { return batch_size_; }
  int channels() const { return channels_; }
  int height() const { return height_; }
  int width() const { return width_; }

  // The position of the next batch in the current arrays.
  std::string SaveState() const override;
  void RestoreState(const std::string& state) override;

 protected:
  void Forward_cpu(const std::vector<Blob*>& bottom,
                   const std::vector<Blob*>& top) override;

 private:
  void CheckCount(size_t n, const char* what) const;

  int batch_size_ = 0, channels_ = 0, height_ = 0, width_ = 0, size_ = 0;
  float* data_ = nullptr;
  float* labels_ = nullptr;
  int n_ = 0;
  int pos_ = 0;
  Blob added_data_;
  Blob added_label_;
};

}  // namespace crema

#endif  // CREMA_LAYERS_MEMORY_DATA_LAYER_HPP_
