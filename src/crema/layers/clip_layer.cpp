#include "crema/layers/clip_layer.hpp"

#include <algorithm>

#include "crema/layer_registry.hpp"
#include "crema/math/math_functions.hpp"

namespace crema {

void ClipLayer::LayerSetUp(const std::vector<Blob*>& bottom,
                           const std::vector<Blob*>& top) {
  const ClipParameter& p = layer_param_.clip_param();
  if (!p.has_min() || !p.has_max()) {
    Fail("clip_param needs both min and max.");
  }
  if (p.min() > p.max()) {
    Fail("clip_param.min (", p.min(), ") is greater than clip_param.max (",
         p.max(), ").");
  }
}

void ClipLayer::Forward_cpu(const std::vector<Blob*>& bottom,
                            const std::vector<Blob*>& top) {
  const float lo = layer_param_.clip_param().min();
  const float hi = layer_param_.clip_param().max();
  const int count = bottom[0]->count();
  if (top[0] == bottom[0]) {
    bottom_copy_.ReshapeLike(*bottom[0]);
    cpu_copy(count, bottom[0]->cpu_data(), bottom_copy_.mutable_cpu_data());
  }
  const float* x = bottom[0]->cpu_data();
  float* y = top[0]->mutable_cpu_data();
  for (int i = 0; i < count; ++i) y[i] = std::max(lo, std::min(x[i], hi));
}

void ClipLayer::Backward_cpu(const std::vector<Blob*>& top,
                             const std::vector<bool>& propagate_down,
                             const std::vector<Blob*>& bottom) {
  if (!propagate_down[0]) return;
  const float lo = layer_param_.clip_param().min();
  const float hi = layer_param_.clip_param().max();
  const int count = bottom[0]->count();
  const float* x =
      top[0] == bottom[0] ? bottom_copy_.cpu_data() : bottom[0]->cpu_data();
  const float* top_diff = top[0]->cpu_diff();
  float* bottom_diff = bottom[0]->mutable_cpu_diff();
  // The gradient passes where the input lies inside [min, max], ends included.
  for (int i = 0; i < count; ++i) {
    bottom_diff[i] = (x[i] >= lo && x[i] <= hi) ? top_diff[i] : 0.f;
  }
}

CREMA_REGISTER_LAYER("Clip", ClipLayer);

}  // namespace crema
