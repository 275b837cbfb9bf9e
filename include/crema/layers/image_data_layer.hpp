// ImageData: reads images listed in image_data_param.source (lines
// "relative/path label", relative to root_folder) with OpenCV, optionally
// shuffled every epoch and resized to new_height x new_width; tops are data
// and optionally label.
#ifndef CREMA_LAYERS_IMAGE_DATA_LAYER_HPP_
#define CREMA_LAYERS_IMAGE_DATA_LAYER_HPP_

#include <string>
#include <utility>
#include <vector>

#include "crema/layers/base_data_layer.hpp"

namespace crema {

class ImageDataLayer : public BasePrefetchingDataLayer {
 public:
  explicit ImageDataLayer(const LayerParameter& param)
      : BasePrefetchingDataLayer(param) {}
  ~ImageDataLayer() override;
  void DataLayerSetUp(const std::vector<Blob*>& bottom,
                      const std::vector<Blob*>& top) override;
  const char* type() const override { return "ImageData"; }

 protected:
  void LoadBatch(Batch* batch) override;
  // Position in the epoch plus the shuffle engine's state at its start.
  std::string ReaderState() const override;
  void RestoreReaderState(const std::string& state) override;

 private:
  // Builds order_ for a new epoch (shuffled when asked).
  void StartEpoch();
  cv::Mat ReadCurrentImage() const;
  std::string CurrentPath() const;

  std::vector<std::pair<std::string, int>> lines_;
  std::vector<size_t> order_;
  size_t position_ = 0;
  RandomEngine shuffle_rng_;
  std::string epoch_rng_state_;
};

}  // namespace crema

#endif  // CREMA_LAYERS_IMAGE_DATA_LAYER_HPP_
