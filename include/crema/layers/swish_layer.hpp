// Swish: y = x * sigmoid(beta * x). Works in place.
#ifndef CREMA_LAYERS_SWISH_LAYER_HPP_
#define CREMA_LAYERS_SWISH_LAYER_HPP_

#include <vector>

#include "crema/layer.hpp"

namespace crema {

class SwishLayer : public NeuronLayer {
 public:
  explicit SwishLayer(const LayerParameter& param) : NeuronLayer(param) {}
  const char* type() const override { return "Swish"; }

 protected:
  void Forward_cpu(const std::vector<Blob*>& bottom,
                   const std::vector<Blob*>& top) override;
  void Backward_cpu(const std::vector<Blob*>& top,
                    const std::vector<bool>& propagate_down,
                    const std::vector<Blob*>& bottom) override;

 private:
  Blob sigmoid_;
    // sigmoid(beta * x) from the forward pass;
};

}  // namespace crema

#endif  // CREMA_LAYERS_SWISH_LAYER_HPP_
