// Crop: crops bottom[0] to the shape of bottom[1] from crop_param.axis on
// (default 2, the spatial axes), starting at crop_param.offset (none: 0; one
// value: the same for every cropped axis; else one per cropped axis).
// bottom[1] only supplies the shape and receives no gradient.
#ifndef CREMA_LAYERS_CROP_LAYER_HPP_
#define CREMA_LAYERS_CROP_LAYER_HPP_

#include <vector>

#include "crema/layer.hpp"

namespace crema {

class CropLayer : public Layer {
 public:
  explicit CropLayer(const LayerParameter& param) : Layer(param) {}
  const char* type() const override { return "Crop"; }
  void Reshape(const std::vector<Blob*>& bottom,
               const std::vector<Blob*>& top) override;
  int ExactNumBottomBlobs() const override { return 2; }
  int ExactNumTopBlobs() const override { return 1; }
  bool AllowForceBackward(int bottom_index) const override {
    return bottom_index == 0;
  }

 protected:
  void Forward_cpu(const std::vector<Blob*>& bottom,
                   const std::vector<Blob*>& top) override;
  void Backward_cpu(const std::vector<Blob*>& top,
                    const std::vector<bool>& propagate_down,
                    const std::vector<Blob*>& bottom) override;

 private:
  // Copies the window of `big` at offsets_ with the shape of `small`: from
  // big to small when to_small (forward), else from small into big.
  void CopyWindow(const Blob& big, const Blob& small, bool to_small,
                  const float* from, float* to) const;
  // The start of the window along each axis of bottom[0] (0 before axis).
  std::vector<int> offsets_;
};

}  // namespace crema

#endif  // CREMA_LAYERS_CROP_LAYER_HPP_
