#include "crema/layers/permute_layer.hpp"

#include "crema/layer_registry.hpp"
#include "crema/math/math_functions.hpp"

namespace crema {

void PermuteLayer::Reshape(const std::vector<Blob*>& bottom,
                           const std::vector<Blob*>& top) {
  const int axes = bottom[0]->num_axes();
  std::vector<int> order;
  std::vector<bool> used(axes, false);
  for (const unsigned int axis : layer_param_.permute_param().order()) {
    if (static_cast<int>(axis) >= axes) {
      Fail("permute_param.order names axis ", axis, ", but the bottom ",
           bottom[0]->shape_string(), " has ", axes, " axes.");
    }
    if (used[axis]) Fail("permute_param.order names axis ", axis, " twice.");
    used[axis] = true;
    order.push_back(static_cast<int>(axis));
  }
  for (int axis = 0; axis < axes; ++axis) {
    if (!used[axis]) order.push_back(axis);
  }
  std::vector<int> shape(axes);
  for (int i = 0; i < axes; ++i) shape[i] = bottom[0]->shape(order[i]);
  top[0]->Reshape(shape);
  // Walk the top in row-major order and track the bottom index.
  const int count = bottom[0]->count();
  source_.assign(count, 0);
  std::vector<int> bottom_stride(axes), index(axes, 0);
  for (int i = 0; i < axes; ++i) bottom_stride[i] = bottom[0]->count(order[i] + 1);
  int offset = 0;
  for (int t = 0; t < count; ++t) {
    source_[t] = offset;
    for (int a = axes - 1; a >= 0; --a) {
      ++index[a];
      offset += bottom_stride[a];
      if (index[a] < shape[a]) break;
      offset -= bottom_stride[a] * shape[a];
      index[a] = 0;
    }
  }
}

void PermuteLayer::Forward_cpu(const std::vector<Blob*>& bottom,
                               const std::vector<Blob*>& top) {
  const float* in = bottom[0]->cpu_data();
  float* out = top[0]->mutable_cpu_data();
  for (size_t t = 0; t < source_.size(); ++t) out[t] = in[source_[t]];
}

void PermuteLayer::Backward_cpu(const std::vector<Blob*>& top,
                                const std::vector<bool>& propagate_down,
                                const std::vector<Blob*>& bottom) {
  if (!propagate_down[0]) return;
  const float* top_diff = top[0]->cpu_diff();
  float* diff = bottom[0]->mutable_cpu_diff();
  for (size_t t = 0; t < source_.size(); ++t) diff[source_[t]] = top_diff[t];
}

CREMA_REGISTER_LAYER("Permute", PermuteLayer);

}  // namespace crema
