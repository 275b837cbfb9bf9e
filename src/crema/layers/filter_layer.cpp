#include "crema/layers/filter_layer.hpp"

#include "crema/layer_registry.hpp"
#include "crema/math/math_functions.hpp"

namespace crema {

void FilterLayer::LayerSetUp(const std::vector<Blob*>& bottom,
                             const std::vector<Blob*>& top) {
  num_bottoms_ = static_cast<int>(bottom.size());
  if (top.size() != bottom.size() - 1) {
    Fail("needs one top per data bottom (all bottoms but the last, the "
         "selector): got ", bottom.size(), " bottoms and ", top.size(), " tops.");
  }
}

bool FilterLayer::AllowForceBackward(int bottom_index) const {
  // The selector is an input like a label.
  return bottom_index != num_bottoms_ - 1;
}

void FilterLayer::Reshape(const std::vector<Blob*>& bottom,
                          const std::vector<Blob*>& top) {
  const Blob& selector = *bottom.back();
  if (selector.num_axes() < 1) {
    Fail("the selector (last bottom) must have a first axis; got ",
         selector.shape_string(), ".");
  }
  for (int i = 1; i < selector.num_axes(); ++i) {
    if (selector.shape(i) != 1) {
      Fail("the selector (last bottom) must be N or N x 1 x ...; got ",
           selector.shape_string(), ".");
    }
  }
  for (size_t i = 0; i + 1 < bottom.size(); ++i) {
    if (bottom[i]->num_axes() < 1 || bottom[i]->shape(0) != selector.shape(0)) {
      Fail("bottom[", i, "] ", bottom[i]->shape_string(),
           " must have as many items as the selector ", selector.shape_string(),
           ".");
    }
  }
  selected_.clear();
  const float* s = selector.cpu_data();
  for (int n = 0; n < selector.shape(0); ++n) {
    if (s[n] != 0.f) selected_.push_back(n);
  }
  int new_num = static_cast<int>(selected_.size());
  if (first_reshape_) {
    // At setup the selector holds no data yet: shape the tops for all items.
    new_num = selector.shape(0);
    first_reshape_ = false;
  }
  for (size_t t = 0; t < top.size(); ++t) {
    std::vector<int> shape = bottom[t]->shape();
    shape[0] = new_num;
    top[t]->Reshape(shape);
  }
}

void FilterLayer::Forward_cpu(const std::vector<Blob*>& bottom,
                              const std::vector<Blob*>& top) {
  for (size_t t = 0; t < top.size(); ++t) {
    const int inner = bottom[t]->count(1);
    const float* x = bottom[t]->cpu_data();
    float* y = top[t]->mutable_cpu_data();
    for (size_t k = 0; k < selected_.size(); ++k) {
      cpu_copy(inner, x + selected_[k] * inner, y + k * inner);
    }
  }
}

void FilterLayer::Backward_cpu(const std::vector<Blob*>& top,
                               const std::vector<bool>& propagate_down,
                               const std::vector<Blob*>& bottom) {
  if (propagate_down.back()) {
    Fail("cannot backpropagate to the selector (the last bottom).");
  }
  for (size_t t = 0; t < top.size(); ++t) {
    if (!propagate_down[t]) continue;
    const int inner = bottom[t]->count(1);
    const float* top_diff = top[t]->cpu_diff();
    float* bottom_diff = bottom[t]->mutable_cpu_diff();
    // Items filtered out did not reach the output: zero gradient.
    cpu_zero(bottom[t]->count(), bottom_diff);
    for (size_t k = 0; k < selected_.size(); ++k) {
      cpu_copy(inner, top_diff + k * inner, bottom_diff + selected_[k] * inner);
    }
  }
}

CREMA_REGISTER_LAYER("Filter", FilterLayer);

}  // namespace crema
