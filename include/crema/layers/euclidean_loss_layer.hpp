// EuclideanLoss: sum((a - b)^2) / (2 N) for two blobs of the same count per
// item. Both inputs get gradients (neither is a label).
#ifndef CREMA_LAYERS_EUCLIDEAN_LOSS_LAYER_HPP_
#define CREMA_LAYERS_EUCLIDEAN_LOSS_LAYER_HPP_

#include <vector>

#include "crema/layer.hpp"

namespace crema {

class EuclideanLossLayer : public LossLayer {
 public:
  explicit EuclideanLossLayer(const LayerParameter& param) : LossLayer(param) {}
  const char* type() const override { return "EuclideanLoss"; }
  void Reshape(const std::vector<Blob*>& bottom,
               const std::vector<Blob*>& top) override;
  bool AllowForceBackward(int) const override { return true; }

 protected:
  void Forward_cpu(const std::vector<Blob*>& bottom,
                   const std::vector<Blob*>& top) override;
  void Backward_cpu(const std::vector<Blob*>& top,
                    const std::vector<bool>& propagate_down,
                    const std::vector<Blob*>& bottom) override;

 private:
  Blob diff_;  // a - b
};

}  // namespace crema

#endif  // CREMA_LAYERS_EUCLIDEAN_LOSS_LAYER_HPP_
