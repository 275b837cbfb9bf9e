#include "crema/layers/elu_layer.hpp"

#include <cmath>

#include "crema/layer_registry.hpp"

namespace crema {

void ELULayer::Forward_cpu(const std::vector<Blob*>& bottom,
                           const std::vector<Blob*>& top) {
  const float alpha = layer_param_.elu_param().alpha();
  const int count = bottom[0]->count();
  const float* x = bottom[0]->cpu_data();
  float* y = top[0]->mutable_cpu_data();
  for (int i = 0; i < count; ++i) {
    y[i] = x[i] > 0.f ? x[i] : alpha * std::expm1(x[i]);
  }
}

void ELULayer::Backward_cpu(const std::vector<Blob*>& top,
                            const std::vector<bool>& propagate_down,
                            const std::vector<Blob*>& bottom) {
  if (!propagate_down[0]) return;
  const float alpha = layer_param_.elu_param().alpha();
  const int count = bottom[0]->count();
  // For x <= 0, dy/dx = alpha * exp(x) = y + alpha. In place the bottom holds
  // y, which is positive exactly when x is (for a positive alpha).
  const float* x = bottom[0]->cpu_data();
  const float* y = top[0]->cpu_data();
  const float* top_diff = top[0]->cpu_diff();
  float* bottom_diff = bottom[0]->mutable_cpu_diff();
  for (int i = 0; i < count; ++i) {
    bottom_diff[i] = x[i] > 0.f ? top_diff[i] : top_diff[i] * (y[i] + alpha);
  }
}

CREMA_REGISTER_LAYER("ELU", ELULayer);

}  // namespace crema
