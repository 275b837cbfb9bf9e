// MultinomialLogisticLoss: -sum(log p[label]) / N for N x K probabilities
// (e.g. a Softmax output) and integer labels; p is clamped below at 1e-20.
#ifndef CREMA_LAYERS_MULTINOMIAL_LOGISTIC_LOSS_LAYER_HPP_
#define CREMA_LAYERS_MULTINOMIAL_LOGISTIC_LOSS_LAYER_HPP_

#include <vector>

#include "crema/layer.hpp"

namespace crema {

class MultinomialLogisticLossLayer : public LossLayer {
 public:
  explicit MultinomialLogisticLossLayer(const LayerParameter& param) : LossLayer(param) {}
  const char* type() const override { return "MultinomialLogisticLoss"; }
  void Reshape(const std::vector<Blob*>& bottom,
               const std::vector<Blob*>& top) override;

 protected:
  void Forward_cpu(const std::vector<Blob*>& bottom,
                   const std::vector<Blob*>& top) override;
  void Backward_cpu(const std::vector<Blob*>& top,
                    const std::vector<bool>& propagate_down,
                    const std::vector<Blob*>& bottom) override;

 private:
  int LabelAt(const float* label, int i, int dim) const;
};

}  // namespace crema

#endif  // CREMA_LAYERS_MULTINOMIAL_LOGISTIC_LOSS_LAYER_HPP_
