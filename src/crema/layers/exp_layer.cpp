#include "crema/layers/exp_layer.hpp"

#include <cmath>

#include "crema/layer_registry.hpp"

namespace crema {

void ExpLayer::LayerSetUp(const std::vector<Blob*>& bottom,
                          const std::vector<Blob*>& top) {
  const ExpParameter& p = layer_param_.exp_param();
  const float base = p.base();
  if (base != -1.f && !(base > 0.f)) {
    Fail("exp_param.base must be strictly positive (or -1 for e); got ", base, ".");
  }
  // base ^ (shift + scale * x) = base ^ shift * exp(log(base) * scale * x).
  const float log_base = base == -1.f ? 1.f : std::log(base);
  inner_scale_ = log_base * p.scale();
  outer_scale_ = p.shift() == 0.f ? 1.f
                 : base == -1.f   ? std::exp(p.shift())
                                  : std::pow(base, p.shift());
}

void ExpLayer::Forward_cpu(const std::vector<Blob*>& bottom,
                           const std::vector<Blob*>& top) {
  const int count = bottom[0]->count();
  const float* x = bottom[0]->cpu_data();
  float* y = top[0]->mutable_cpu_data();
  for (int i = 0; i < count; ++i) y[i] = outer_scale_ * std::exp(inner_scale_ * x[i]);
}

void ExpLayer::Backward_cpu(const std::vector<Blob*>& top,
                            const std::vector<bool>& propagate_down,
                            const std::vector<Blob*>& bottom) {
  if (!propagate_down[0]) return;
  const int count = bottom[0]->count();
  // dy/dx = inner_scale * y: needs only the output, so in place works.
  const float* y = top[0]->cpu_data();
  const float* top_diff = top[0]->cpu_diff();
  float* bottom_diff = bottom[0]->mutable_cpu_diff();
  for (int i = 0; i < count; ++i) bottom_diff[i] = top_diff[i] * y[i] * inner_scale_;
}

CREMA_REGISTER_LAYER("Exp", ExpLayer);

}  // namespace crema
