// PReLU: y = max(x, 0) + a * min(x, 0) with a learned slope `a` per channel
// (axis 1), or one slope for all channels when prelu_param.channel_shared.
// The slopes start from prelu_param.filler (constant 0.25 by default).
// Works in place.
#ifndef CREMA_LAYERS_PRELU_LAYER_HPP_
#define CREMA_LAYERS_PRELU_LAYER_HPP_

#include <vector>

#include "crema/layer.hpp"

namespace crema {

class PReLULayer : public NeuronLayer {
 public:
  explicit PReLULayer(const LayerParameter& param) : NeuronLayer(param) {}
  const char* type() const override { return "PReLU"; }
  void LayerSetUp(const std::vector<Blob*>& bottom,
                  const std::vector<Blob*>& top) override;
  void Reshape(const std::vector<Blob*>& bottom,
               const std::vector<Blob*>& top) override;

 protected:
  void Forward_cpu(const std::vector<Blob*>& bottom,
                   const std::vector<Blob*>& top) override;
  void Backward_cpu(const std::vector<Blob*>& top,
                    const std::vector<bool>& propagate_down,
                    const std::vector<Blob*>& bottom) override;

 private:
  bool channel_shared_ = false;
  Blob bottom_copy_;  // the input, kept when working in place
};

}  // namespace crema

#endif  // CREMA_LAYERS_PRELU_LAYER_HPP_
