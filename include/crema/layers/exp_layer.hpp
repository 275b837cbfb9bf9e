// Exp: y = base ^ (shift + scale * x); base -1 (the default) means e.
// Works in place.
#ifndef CREMA_LAYERS_EXP_LAYER_HPP_
#define CREMA_LAYERS_EXP_LAYER_HPP_

#include <vector>

#include "crema/layer.hpp"

namespace crema {

class ExpLayer : public NeuronLayer {
 public:
  explicit ExpLayer(const LayerParameter& param) : NeuronLayer(param) {}
  const char* type() const override { return "Exp"; }
  void LayerSetUp(const std::vector<Blob*>& bottom,
                  const std::vector<Blob*>& top) override;

 protected:
  void Forward_cpu(const std::vector<Blob*>& bottom,
                   const std::vector<Blob*>& top) override;
  void Backward_cpu(const std::vector<Blob*>& top,
                    const std::vector<bool>& propagate_down,
                    const std::vector<Blob*>& bottom) override;

 private:
  float inner_scale_ = 1.f;
  float outer_scale_ = 1.f;
};

}  // namespace crema

#endif  // CREMA_LAYERS_EXP_LAYER_HPP_
