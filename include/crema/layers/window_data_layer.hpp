// WindowData: R-CNN style training windows. window_data_param.source lists,
// per image, its path (relative to root_folder), channels, height, width and
// windows "class_index overlap x1 y1 x2 y2". Windows with overlap >=
// fg_threshold are foreground (label = class_index), those with overlap <
// bg_threshold background (label 0). Each batch takes fg_fraction of its
// items from the foreground windows and the rest from the background ones,
// drawn at random; each window (grown by context_pad, made square in
// crop_mode "square") is warped to crop_size x crop_size, optionally
// mirrored, mean-subtracted and scaled as transform_param says. Parts of a
// grown window outside the image stay zero.
#ifndef CREMA_LAYERS_WINDOW_DATA_LAYER_HPP_
#define CREMA_LAYERS_WINDOW_DATA_LAYER_HPP_

#include <istream>
#include <string>
#include <vector>

#include "crema/layers/base_data_layer.hpp"

namespace crema {

class WindowDataLayer : public BasePrefetchingDataLayer {
 public:
  explicit WindowDataLayer(const LayerParameter& param)
      : BasePrefetchingDataLayer(param) {}
  ~WindowDataLayer() override;
  void DataLayerSetUp(const std::vector<Blob*>& bottom,
                      const std::vector<Blob*>& top) override;
  const char* type() const override { return "WindowData"; }

 protected:
  void LoadBatch(Batch* batch) override;
  // The sampling engine's state.
  std::string ReaderState() const override;
  void RestoreReaderState(const std::string& state) override;

 private:
  struct Image {
    std::string path;
    int channels = 0;
    int height = 0;
    int width = 0;
    std::string encoded;  // the file's bytes, with cache_images
  };
  struct Window {
    int image = 0;
    int label = 0;
    float overlap = 0;
    int x1 = 0, y1 = 0, x2 = 0, y2 = 0;
  };

  void ReadWindowFile(const std::string& source);
  // Reads one window line of the current image; `where` names it in errors.
  void ReadWindow(std::istream& in, const std::string& where);
  cv::Mat LoadImage(const Image& image) const;
  // Writes `window` into item `item` of `data` (zeroed beforehand).
  void WarpWindow(const Window& window, bool mirror, int item, Blob* data) const;

  std::vector<Image> images_;
  std::vector<Window> fg_windows_;
  std::vector<Window> bg_windows_;
  int channels_ = 0;
  int crop_size_ = 0;
  std::vector<float> mean_values_;  // one per channel when given
  RandomEngine rng_;
};

}  // namespace crema

#endif  // CREMA_LAYERS_WINDOW_DATA_LAYER_HPP_
