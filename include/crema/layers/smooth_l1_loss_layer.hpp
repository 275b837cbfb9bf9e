// SmoothL1Loss, Fast R-CNN's bounding-box regression loss (its fork's
// semantics): bottoms are the predictions a, the targets b and optionally
// inside and outside weights (all of a's shape). With d = w_in * (a - b),
//   loss = sum(w_out * f(d)) / N,
//   f(x) = 0.5 * sigma^2 * x^2  where |x| < 1 / sigma^2,
//          |x| - 0.5 / sigma^2  elsewhere,
// N the batch size (a's first axis). Gradients flow to a and b, not to
// the weights.
#ifndef CREMA_LAYERS_SMOOTH_L1_LOSS_LAYER_HPP_
#define CREMA_LAYERS_SMOOTH_L1_LOSS_LAYER_HPP_

#include <vector>

#include "crema/layer.hpp"

namespace crema {

class SmoothL1LossLayer : public LossLayer {
 public:
  explicit SmoothL1LossLayer(const LayerParameter& param) : LossLayer(param) {}
  const char* type() const override { return "SmoothL1Loss"; }
  void LayerSetUp(const std::vector<Blob*>& bottom,
                  const std::vector<Blob*>& top) override;
  void Reshape(const std::vector<Blob*>& bottom,
               const std::vector<Blob*>& top) override;
  int ExactNumBottomBlobs() const override { return -1; }
  int MinBottomBlobs() const override { return 2; }
  int MaxBottomBlobs() const override { return 4; }
  bool AllowForceBackward(int bottom_index) const override { return bottom_index < 2; }

 protected:
  void Forward_cpu(const std::vector<Blob*>& bottom,
                   const std::vector<Blob*>& top) override;
  void Backward_cpu(const std::vector<Blob*>& top,
                    const std::vector<bool>& propagate_down,
                    const std::vector<Blob*>& bottom) override;

 private:
  float sigma2_ = 1.f;
  bool has_weights_ = false;
  Blob diff_;  // w_in * (a - b)
};

}  // namespace crema

#endif  // CREMA_LAYERS_SMOOTH_L1_LOSS_LAYER_HPP_
