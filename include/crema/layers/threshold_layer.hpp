// Threshold: y = 1 if x > threshold_param.threshold, else 0. It has no
// gradient (Caffe leaves its backward unimplemented); asking for one is an
// error. Works in place.
#ifndef CREMA_LAYERS_THRESHOLD_LAYER_HPP_
#define CREMA_LAYERS_THRESHOLD_LAYER_HPP_

#include <vector>

#include "crema/layer.hpp"

namespace crema {

class ThresholdLayer : public NeuronLayer {
 public:
  explicit ThresholdLayer(const LayerParameter& param) : NeuronLayer(param) {}
  const char* type() const override { return "Threshold"; }

 protected:
  void Forward_cpu(const std::vector<Blob*>& bottom,
                   const std::vector<Blob*>& top) override;
  void Backward_cpu(const std::vector<Blob*>& top,
                    const std::vector<bool>& propagate_down,
                    const std::vector<Blob*>& bottom) override;
};

}  // namespace crema

#endif  // CREMA_LAYERS_THRESHOLD_LAYER_HPP_
