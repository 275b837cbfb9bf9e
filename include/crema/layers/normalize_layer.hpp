// Normalize (SSD fork): L2-normalises each image, then scales by a learned
// factor. across_spatial: one norm per image over C x H x W; otherwise one
// per spatial position over the channels. norm = sqrt(sum x^2 + eps). The
// scale is one value (channel_shared) or one per channel, initialised by
// norm_param.scale_filler (default: constant 1).
#ifndef CREMA_LAYERS_NORMALIZE_LAYER_HPP_
#define CREMA_LAYERS_NORMALIZE_LAYER_HPP_

#include <vector>

#include "crema/layer.hpp"

namespace crema {

class NormalizeLayer : public Layer {
 public:
  explicit NormalizeLayer(const LayerParameter& param) : Layer(param) {}
  void LayerSetUp(const std::vector<Blob*>& bottom,
                  const std::vector<Blob*>& top) override;
  void Reshape(const std::vector<Blob*>& bottom,
               const std::vector<Blob*>& top) override;
  const char* type() const override { return "Normalize"; }
  int ExactNumBottomBlobs() const override { return 1; }
  int ExactNumTopBlobs() const override { return 1; }

 protected:
  void Forward_cpu(const std::vector<Blob*>& bottom,
                   const std::vector<Blob*>& top) override;
  void Backward_cpu(const std::vector<Blob*>& top,
                    const std::vector<bool>& propagate_down,
                    const std::vector<Blob*>& bottom) override;

 private:
  // Index of the norm that element (n, c, s) is divided by.
  int NormIndex(int n, int s) const {
    return across_spatial_ ? n : n * spatial_ + s;
  }
  bool across_spatial_ = true, channel_shared_ = true;
  float eps_ = 1e-10f;
  int num_ = 0, channels_ = 0, spatial_ = 0;
  std::vector<float> norm_;        // one per image or per (image, position)
  std::vector<float> normalized_;  // x / norm, kept for backward
};

}  // namespace crema

#endif  // CREMA_LAYERS_NORMALIZE_LAYER_HPP_
