#include "crema/layers/log_layer.hpp"

#include <cmath>

#include "crema/layer_registry.hpp"
#include "crema/math/math_functions.hpp"

namespace crema {

void LogLayer::LayerSetUp(const std::vector<Blob*>& bottom,
                          const std::vector<Blob*>& top) {
  const LogParameter& p = layer_param_.log_param();
  const float base = p.base();
  if (base != -1.f && !(base > 0.f)) {
    Fail("log_param.base must be strictly positive (or -1 for e); got ", base, ".");
  }
  if (base == 1.f) Fail("log_param.base cannot be 1 (log base 1 is undefined).");
  // log_base(z) = ln(z) / ln(base).
  base_scale_ = base == -1.f ? 1.f : 1.f / std::log(base);
  input_scale_ = p.scale();
  input_shift_ = p.shift();
}

void LogLayer::Forward_cpu(const std::vector<Blob*>& bottom,
                           const std::vector<Blob*>& top) {
  const int count = bottom[0]->count();
  if (top[0] == bottom[0]) {
    bottom_copy_.ReshapeLike(*bottom[0]);
    cpu_copy(count, bottom[0]->cpu_data(), bottom_copy_.mutable_cpu_data());
  }
  const float* x = bottom[0]->cpu_data();
  float* y = top[0]->mutable_cpu_data();
  for (int i = 0; i < count; ++i) {
    y[i] = base_scale_ * std::log(input_shift_ + input_scale_ * x[i]);
  }
}

void LogLayer::Backward_cpu(const std::vector<Blob*>& top,
                            const std::vector<bool>& propagate_down,
                            const std::vector<Blob*>& bottom) {
  if (!propagate_down[0]) return;
  const int count = bottom[0]->count();
  const float* x =
      top[0] == bottom[0] ? bottom_copy_.cpu_data() : bottom[0]->cpu_data();
  const float* top_diff = top[0]->cpu_diff();
  float* bottom_diff = bottom[0]->mutable_cpu_diff();
  // dy/dx = scale / (ln(base) * (shift + scale * x)).
  const float numerator = input_scale_ * base_scale_;
  for (int i = 0; i < count; ++i) {
    bottom_diff[i] = top_diff[i] * numerator / (input_shift_ + input_scale_ * x[i]);
  }
}

CREMA_REGISTER_LAYER("Log", LogLayer);

}  // namespace crema
