#include "crema/layers/tanh_layer.hpp"

#include <cmath>

#include "crema/layer_registry.hpp"

namespace crema {

void TanHLayer::Forward_cpu(const std::vector<Blob*>& bottom,
                            const std::vector<Blob*>& top) {
  const int count = bottom[0]->count();
  const float* x = bottom[0]->cpu_data();
  float* y = top[0]->mutable_cpu_data();
  for (int i = 0; i < count; ++i) y[i] = std::tanh(x[i]);
}

void TanHLayer::Backward_cpu(const std::vector<Blob*>& top,
                             const std::vector<bool>& propagate_down,
                             const std::vector<Blob*>& bottom) {
  if (!propagate_down[0]) return;
  // dy/dx = 1 - y^2: only the output is needed, so in place works.
  const int count = top[0]->count();
  const float* y = top[0]->cpu_data();
  const float* top_diff = top[0]->cpu_diff();
  float* bottom_diff = bottom[0]->mutable_cpu_diff();
  for (int i = 0; i < count; ++i) bottom_diff[i] = top_diff[i] * (1.f - y[i] * y[i]);
}

CREMA_REGISTER_LAYER("TanH", TanHLayer);

}  // namespace crema
