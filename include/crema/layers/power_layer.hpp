// Power: y = (shift + scale * x) ^ power. Works in place.
#ifndef CREMA_LAYERS_POWER_LAYER_HPP_
#define CREMA_LAYERS_POWER_LAYER_HPP_

#include <vector>

#include "crema/layer.hpp"

namespace crema {

class PowerLayer : public NeuronLayer {
 public:
  explicit PowerLayer(const LayerParameter& param) : NeuronLayer(param) {}
  const char* type() const override { return "Power"; }
  void LayerSetUp(const std::vector<Blob*>& bottom,
                  const std::vector<Blob*>& top) override;

 protected:
  void Forward_cpu(const std::vector<Blob*>& bottom,
                   const std::vector<Blob*>& top) override;
  void Backward_cpu(const std::vector<Blob*>& top,
                    const std::vector<bool>& propagate_down,
                    const std::vector<Blob*>& bottom) override;

 private:
  float power_ = 1.f;
  float scale_ = 1.f;
  float shift_ = 0.f;
  Blob bottom_copy_;
    // the input, kept when working in place;
};

}  // namespace crema

#endif  // CREMA_LAYERS_POWER_LAYER_HPP_
