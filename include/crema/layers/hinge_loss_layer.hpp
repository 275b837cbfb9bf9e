// HingeLoss: one-vs-all hinge loss of N x K scores against integer labels:
// sum over items and classes of max(0, 1 - t * x) (t = +1 for the labelled
// class, -1 otherwise) divided by N; hinge_loss_param.norm L2 squares each
// term.
#ifndef CREMA_LAYERS_HINGE_LOSS_LAYER_HPP_
#define CREMA_LAYERS_HINGE_LOSS_LAYER_HPP_

#include <vector>

#include "crema/layer.hpp"

namespace crema {

class HingeLossLayer : public LossLayer {
 public:
  explicit HingeLossLayer(const LayerParameter& param) : LossLayer(param) {}
  const char* type() const override { return "HingeLoss"; }
  void Reshape(const std::vector<Blob*>& bottom,
               const std::vector<Blob*>& top) override;

 protected:
  void Forward_cpu(const std::vector<Blob*>& bottom,
                   const std::vector<Blob*>& top) override;
  void Backward_cpu(const std::vector<Blob*>& top,
                    const std::vector<bool>& propagate_down,
                    const std::vector<Blob*>& bottom) override;

 private:
  // The label of item i, checked against the number of classes.
  int LabelAt(const float* label, int i, int dim) const;
  Blob margins_;  // max(0, 1 - t * x) per score
};

}  // namespace crema

#endif  // CREMA_LAYERS_HINGE_LOSS_LAYER_HPP_
