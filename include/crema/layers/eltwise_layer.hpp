// Eltwise: combines bottoms of one shape element by element: PROD, SUM
// (each bottom weighted by its coeff, default 1) or MAX.
#ifndef CREMA_LAYERS_ELTWISE_LAYER_HPP_
#define CREMA_LAYERS_ELTWISE_LAYER_HPP_

#include <vector>

#include "crema/layer.hpp"

namespace crema {

class EltwiseLayer : public Layer {
 public:
  explicit EltwiseLayer(const LayerParameter& param) : Layer(param) {}
  const char* type() const override { return "Eltwise"; }
  void LayerSetUp(const std::vector<Blob*>& bottom,
                  const std::vector<Blob*>& top) override;
  void Reshape(const std::vector<Blob*>& bottom,
               const std::vector<Blob*>& top) override;
  int MinBottomBlobs() const override { return 2; }
  int ExactNumTopBlobs() const override { return 1; }

 protected:
  void Forward_cpu(const std::vector<Blob*>& bottom,
                   const std::vector<Blob*>& top) override;
  void Backward_cpu(const std::vector<Blob*>& top,
                    const std::vector<bool>& propagate_down,
                    const std::vector<Blob*>& bottom) override;

 private:
  EltwiseParameter::EltwiseOp op_ = EltwiseParameter::SUM;
  std::vector<float> coeffs_;     // SUM: one weight per bottom
  bool stable_prod_grad_ = true;  // PROD: multiply the others, do not divide
  std::vector<int> max_index_;    // MAX: which bottom won each element
};

}  // namespace crema

#endif  // CREMA_LAYERS_ELTWISE_LAYER_HPP_
