// ELU: y = x for x > 0, alpha * (exp(x) - 1) otherwise. Works in place.
#ifndef CREMA_LAYERS_ELU_LAYER_HPP_
#define CREMA_LAYERS_ELU_LAYER_HPP_

#include <vector>

#include "crema/layer.hpp"

namespace crema {

class ELULayer : public NeuronLayer {
 public:
  explicit ELULayer(const LayerParameter& param) : NeuronLayer(param) {}
  const char* type() const override { return "ELU"; }

 protected:
  void Forward_cpu(const std::vector<Blob*>& bottom,
                   const std::vector<Blob*>& top) override;
  void Backward_cpu(const std::vector<Blob*>& top,
                    const std::vector<bool>& propagate_down,
                    const std::vector<Blob*>& bottom) override;
};

}  // namespace crema

#endif  // CREMA_LAYERS_ELU_LAYER_HPP_
