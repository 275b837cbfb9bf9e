// ContrastiveLoss (Hadsell et al.): for feature pairs a, b (N x C x 1 x 1)
// and a similarity label y (N), sum(y d^2 + (1 - y) max(margin - d, 0)^2)
// / (2N) with d = ||a - b||. contrastive_loss_param.legacy_version uses
// max(margin - d^2, 0) for dissimilar pairs instead. a and b get gradients.
#ifndef CREMA_LAYERS_CONTRASTIVE_LOSS_LAYER_HPP_
#define CREMA_LAYERS_CONTRASTIVE_LOSS_LAYER_HPP_

#include <vector>

#include "crema/layer.hpp"

namespace crema {

class ContrastiveLossLayer : public LossLayer {
 public:
  explicit ContrastiveLossLayer(const LayerParameter& param) : LossLayer(param) {}
  const char* type() const override { return "ContrastiveLoss"; }
  void LayerSetUp(const std::vector<Blob*>& bottom,
                  const std::vector<Blob*>& top) override;
  void Reshape(const std::vector<Blob*>& bottom,
               const std::vector<Blob*>& top) override;
  int ExactNumBottomBlobs() const override { return 3; }
  bool AllowForceBackward(int bottom_index) const override {
    return bottom_index != 2;
  }

 protected:
  void Forward_cpu(const std::vector<Blob*>& bottom,
                   const std::vector<Blob*>& top) override;
  void Backward_cpu(const std::vector<Blob*>& top,
                    const std::vector<bool>& propagate_down,
                    const std::vector<Blob*>& bottom) override;

 private:
  Blob diff_;                   // a - b
  std::vector<float> dist_sq_;  // squared distance per item
};

}  // namespace crema

#endif  // CREMA_LAYERS_CONTRASTIVE_LOSS_LAYER_HPP_
