#include "crema/layers/absval_layer.hpp"

#include <cmath>

#include "crema/layer_registry.hpp"

namespace crema {

void AbsValLayer::LayerSetUp(const std::vector<Blob*>& bottom,
                             const std::vector<Blob*>& top) {
  if (top[0] == bottom[0]) {
    Fail("cannot work in place: give the top blob a different name than the "
         "bottom.");
  }
}

void AbsValLayer::Forward_cpu(const std::vector<Blob*>& bottom,
                              const std::vector<Blob*>& top) {
  const int count = bottom[0]->count();
  const float* x = bottom[0]->cpu_data();
  float* y = top[0]->mutable_cpu_data();
  for (int i = 0; i < count; ++i) y[i] = std::fabs(x[i]);
}

void AbsValLayer::Backward_cpu(const std::vector<Blob*>& top,
                               const std::vector<bool>& propagate_down,
                               const std::vector<Blob*>& bottom) {
  if (!propagate_down[0]) return;
  const int count = bottom[0]->count();
  const float* x = bottom[0]->cpu_data();
  const float* top_diff = top[0]->cpu_diff();
  float* bottom_diff = bottom[0]->mutable_cpu_diff();
  for (int i = 0; i < count; ++i) {
    const float sign = x[i] > 0.f ? 1.f : (x[i] < 0.f ? -1.f : 0.f);
    bottom_diff[i] = sign * top_diff[i];
  }
}

CREMA_REGISTER_LAYER("AbsVal", AbsValLayer);

}  // namespace crema
