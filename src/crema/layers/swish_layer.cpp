#include "crema/layers/swish_layer.hpp"

#include <cmath>

#include "crema/layer_registry.hpp"

namespace crema {

void SwishLayer::Forward_cpu(const std::vector<Blob*>& bottom,
                             const std::vector<Blob*>& top) {
  const float beta = layer_param_.swish_param().beta();
  const int count = bottom[0]->count();
  sigmoid_.ReshapeLike(*bottom[0]);
  const float* x = bottom[0]->cpu_data();
  float* s = sigmoid_.mutable_cpu_data();
  float* y = top[0]->mutable_cpu_data();
  for (int i = 0; i < count; ++i) {
    s[i] = 1.f / (1.f + std::exp(-beta * x[i]));
    y[i] = x[i] * s[i];
  }
}

void SwishLayer::Backward_cpu(const std::vector<Blob*>& top,
                              const std::vector<bool>& propagate_down,
                              const std::vector<Blob*>& bottom) {
  if (!propagate_down[0]) return;
  const float beta = layer_param_.swish_param().beta();
  const int count = bottom[0]->count();
  // dy/dx = s + beta * x * s * (1 - s) = beta * y + s * (1 - beta * y),
  // written with y and s so that it holds in place.
  const float* y = top[0]->cpu_data();
  const float* s = sigmoid_.cpu_data();
  const float* top_diff = top[0]->cpu_diff();
  float* bottom_diff = bottom[0]->mutable_cpu_diff();
  for (int i = 0; i < count; ++i) {
    const float by = beta * y[i];
    bottom_diff[i] = top_diff[i] * (by + s[i] * (1.f - by));
  }
}

CREMA_REGISTER_LAYER("Swish", SwishLayer);

}  // namespace crema
