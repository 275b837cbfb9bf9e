// BNLL (binomial normal log likelihood): y = log(1 + exp(x)), computed
// without overflow for large |x|. Works in place.
#ifndef CREMA_LAYERS_BNLL_LAYER_HPP_
#define CREMA_LAYERS_BNLL_LAYER_HPP_

#include <vector>

#include "crema/layer.hpp"

namespace crema {

class BNLLLayer : public NeuronLayer {
 public:
  explicit BNLLLayer(const LayerParameter& param) : NeuronLayer(param) {}
  const char* type() const override { return "BNLL"; }

 protected:
  void Forward_cpu(const std::vector<Blob*>& bottom,
                   const std::vector<Blob*>& top) override;
  void Backward_cpu(const std::vector<Blob*>& top,
                    const std::vector<bool>& propagate_down,
                    const std::vector<Blob*>& bottom) override;
};

}  // namespace crema

#endif  // CREMA_LAYERS_BNLL_LAYER_HPP_
