#include "crema/layers/power_layer.hpp"

#include <cmath>

#include "crema/layer_registry.hpp"
#include "crema/math/math_functions.hpp"

namespace crema {

void PowerLayer::LayerSetUp(const std::vector<Blob*>& bottom,
                            const std::vector<Blob*>& top) {
  power_ = layer_param_.power_param().power();
  scale_ = layer_param_.power_param().scale();
  shift_ = layer_param_.power_param().shift();
}

void PowerLayer::Forward_cpu(const std::vector<Blob*>& bottom,
                             const std::vector<Blob*>& top) {
  const int count = bottom[0]->count();
  if (top[0] == bottom[0]) {
    bottom_copy_.ReshapeLike(*bottom[0]);
    cpu_copy(count, bottom[0]->cpu_data(), bottom_copy_.mutable_cpu_data());
  }
  const float* x = bottom[0]->cpu_data();
  float* y = top[0]->mutable_cpu_data();
  for (int i = 0; i < count; ++i) {
    const float base = shift_ + scale_ * x[i];
    y[i] = power_ == 1.f ? base : std::pow(base, power_);
  }
}

void PowerLayer::Backward_cpu(const std::vector<Blob*>& top,
                              const std::vector<bool>& propagate_down,
                              const std::vector<Blob*>& bottom) {
  if (!propagate_down[0]) return;
  const int count = bottom[0]->count();
  const float* top_diff = top[0]->cpu_diff();
  float* bottom_diff = bottom[0]->mutable_cpu_diff();
  // dy/dx = power * scale * (shift + scale * x) ^ (power - 1).
  const float diff_scale = power_ * scale_;
  if (diff_scale == 0.f || power_ == 1.f) {
    for (int i = 0; i < count; ++i) bottom_diff[i] = diff_scale * top_diff[i];
    return;
  }
  const float* x =
      top[0] == bottom[0] ? bottom_copy_.cpu_data() : bottom[0]->cpu_data();
  for (int i = 0; i < count; ++i) {
    const float base = shift_ + scale_ * x[i];
    const float slope =
        power_ == 2.f ? diff_scale * base : diff_scale * std::pow(base, power_ - 1.f);
    bottom_diff[i] = slope * top_diff[i];
  }
}

CREMA_REGISTER_LAYER("Power", PowerLayer);

}  // namespace crema
