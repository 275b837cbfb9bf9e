#include "crema/layers/split_layer.hpp"

#include "crema/layer_registry.hpp"
#include "crema/math/math_functions.hpp"

namespace crema {

void SplitLayer::Reshape(const std::vector<Blob*>& bottom,
                         const std::vector<Blob*>& top) {
  for (size_t i = 0; i < top.size(); ++i) {
    if (top[i] == bottom[0]) {
      Fail("cannot work in place: top[", i, "] is its bottom blob.");
    }
    top[i]->ReshapeLike(*bottom[0]);
    // Views of the bottom from setup on, so the net sees the aliasing.
    top[i]->ShareData(*bottom[0]);
  }
}

void SplitLayer::Forward_cpu(const std::vector<Blob*>& bottom,
                             const std::vector<Blob*>& top) {
  for (Blob* t : top) t->ShareData(*bottom[0]);
}

void SplitLayer::Backward_cpu(const std::vector<Blob*>& top,
                              const std::vector<bool>& propagate_down,
                              const std::vector<Blob*>& bottom) {
  if (!propagate_down[0]) return;
  const int count = bottom[0]->count();
  float* bottom_diff = bottom[0]->mutable_cpu_diff();
  cpu_copy(count, top[0]->cpu_diff(), bottom_diff);
  for (size_t i = 1; i < top.size(); ++i) {
    cpu_axpy(count, 1.f, top[i]->cpu_diff(), bottom_diff);
  }
}

CREMA_REGISTER_LAYER("Split", SplitLayer);

}  // namespace crema
