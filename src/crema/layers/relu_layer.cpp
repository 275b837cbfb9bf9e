#include "crema/layers/relu_layer.hpp"

#include <algorithm>

#include "crema/layer_registry.hpp"

namespace crema {

void ReLULayer::Forward_cpu(const std::vector<Blob*>& bottom,
                            const std::vector<Blob*>& top) {
  const float slope = layer_param_.relu_param().negative_slope();
  const int count = bottom[0]->count();
  const float* x = bottom[0]->cpu_data();
  float* y = top[0]->mutable_cpu_data();
  for (int i = 0; i < count; ++i) {
    y[i] = std::max(x[i], 0.f) + slope * std::min(x[i], 0.f);
  }
}

void ReLULayer::Backward_cpu(const std::vector<Blob*>& top,
                             const std::vector<bool>& propagate_down,
                             const std::vector<Blob*>& bottom) {
  if (!propagate_down[0]) return;
  const float slope = layer_param_.relu_param().negative_slope();
  const int count = bottom[0]->count();
  // In place, bottom data holds the output; its sign is the input's sign
  // (for a non-negative slope), so the test below still holds.
  const float* x = bottom[0]->cpu_data();
  const float* top_diff = top[0]->cpu_diff();
  float* bottom_diff = bottom[0]->mutable_cpu_diff();
  for (int i = 0; i < count; ++i) {
    bottom_diff[i] = top_diff[i] * (x[i] > 0.f ? 1.f : slope);
  }
}

CREMA_REGISTER_LAYER("ReLU", ReLULayer);

}  // namespace crema
