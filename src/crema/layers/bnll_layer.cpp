#include "crema/layers/bnll_layer.hpp"

#include <cmath>

#include "crema/layer_registry.hpp"

namespace crema {

void BNLLLayer::Forward_cpu(const std::vector<Blob*>& bottom,
                            const std::vector<Blob*>& top) {
  const int count = bottom[0]->count();
  const float* x = bottom[0]->cpu_data();
  float* y = top[0]->mutable_cpu_data();
  for (int i = 0; i < count; ++i) {
    // log(1 + e^x) = x + log(1 + e^-x): pick the form whose exp cannot overflow.
    y[i] = x[i] > 0.f ? x[i] + std::log1p(std::exp(-x[i]))
                      : std::log1p(std::exp(x[i]));
  }
}

void BNLLLayer::Backward_cpu(const std::vector<Blob*>& top,
                             const std::vector<bool>& propagate_down,
                             const std::vector<Blob*>& bottom) {
  if (!propagate_down[0]) return;
  const int count = bottom[0]->count();
  // dy/dx = sigmoid(x) = 1 - exp(-y): computed from the output, so it also
  // holds in place.
  const float* y = top[0]->cpu_data();
  const float* top_diff = top[0]->cpu_diff();
  float* bottom_diff = bottom[0]->mutable_cpu_diff();
  for (int i = 0; i < count; ++i) {
    bottom_diff[i] = top_diff[i] * -std::expm1(-y[i]);
  }
}

CREMA_REGISTER_LAYER("BNLL", BNLLLayer);

}  // namespace crema
