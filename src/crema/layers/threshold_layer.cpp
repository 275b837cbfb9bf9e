#include "crema/layers/threshold_layer.hpp"

#include "crema/layer_registry.hpp"

namespace crema {

void ThresholdLayer::Forward_cpu(const std::vector<Blob*>& bottom,
                                 const std::vector<Blob*>& top) {
  const float threshold = layer_param_.threshold_param().threshold();
  const int count = bottom[0]->count();
  const float* x = bottom[0]->cpu_data();
  float* y = top[0]->mutable_cpu_data();
  for (int i = 0; i < count; ++i) y[i] = x[i] > threshold ? 1.f : 0.f;
}

void ThresholdLayer::Backward_cpu(const std::vector<Blob*>& top,
                                  const std::vector<bool>& propagate_down,
                                  const std::vector<Blob*>& bottom) {
  if (propagate_down[0]) {
    Fail("has no backward pass (its output is a step function); stop the "
         "gradient before it, e.g. with propagate_down: false on the consumer.");
  }
}

CREMA_REGISTER_LAYER("Threshold", ThresholdLayer);

}  // namespace crema
