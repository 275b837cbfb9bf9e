// ReLU: y = max(x, 0) + negative_slope * min(x, 0) (leaky when the slope is
// non-zero). Works in place.
#ifndef CREMA_LAYERS_RELU_LAYER_HPP_
#define CREMA_LAYERS_RELU_LAYER_HPP_

#include <vector>

#include "crema/layer.hpp"

namespace crema {

class ReLULayer : public NeuronLayer {
 public:
  explicit ReLULayer(const LayerParameter& param) : NeuronLayer(param) {}
  const char* type() const override { return "ReLU"; }

 protected:
  void Forward_cpu(const std::vector<Blob*>& bottom,
                   const std::vector<Blob*>& top) override;
  void Backward_cpu(const std::vector<Blob*>& top,
                    const std::vector<bool>& propagate_down,
                    const std::vector<Blob*>& bottom) override;
};

}  // namespace crema

#endif  // CREMA_LAYERS_RELU_LAYER_HPP_
