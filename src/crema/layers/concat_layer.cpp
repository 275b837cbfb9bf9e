#include "crema/layers/concat_layer.hpp"

#include "crema/layer_registry.hpp"
#include "crema/math/math_functions.hpp"

namespace crema {

void ConcatLayer::LayerSetUp(const std::vector<Blob*>& bottom,
                             const std::vector<Blob*>& top) {
  const ConcatParameter& param = layer_param_.concat_param();
  if (param.has_axis() && param.has_concat_dim()) {
    Fail("give either concat_param.axis or the legacy concat_dim, not both.");
  }
}

void ConcatLayer::Reshape(const std::vector<Blob*>& bottom,
                          const std::vector<Blob*>& top) {
  const ConcatParameter& param = layer_param_.concat_param();
  const int num_axes = bottom[0]->num_axes();
  if (param.has_concat_dim()) {
    // The legacy field is unsigned and not counted from the end.
    if (param.concat_dim() >= static_cast<uint32_t>(num_axes)) {
      Fail("concat_dim ", param.concat_dim(), " is out of range for the bottom ",
           bottom[0]->shape_string(), ".");
    }
    axis_ = static_cast<int>(param.concat_dim());
  } else {
    try {
      axis_ = bottom[0]->CanonicalAxisIndex(param.axis());
    } catch (const Error& e) {
      Fail("concat_param.axis: ", e.what());
    }
  }
  std::vector<int> top_shape = bottom[0]->shape();
  for (size_t i = 1; i < bottom.size(); ++i) {
    bool compatible = bottom[i]->num_axes() == num_axes;
    for (int j = 0; compatible && j < num_axes; ++j) {
      if (j != axis_ && bottom[i]->shape(j) != top_shape[j]) compatible = false;
    }
    if (!compatible) {
      Fail("bottom[", i, "] has shape ", bottom[i]->shape_string(),
           " but bottom[0] has shape ", bottom[0]->shape_string(),
           "; all inputs must have the same shape except along the concat axis ",
           axis_, ".");
    }
    top_shape[axis_] += bottom[i]->shape(axis_);
  }
  top[0]->Reshape(top_shape);
  num_concats_ = bottom[0]->count(0, axis_);
  inner_size_ = bottom[0]->count(axis_ + 1);
  // One bottom: the top is the bottom.
  if (bottom.size() == 1) {
    top[0]->ShareData(*bottom[0]);
    top[0]->ShareDiff(*bottom[0]);
  }
}

void ConcatLayer::Forward_cpu(const std::vector<Blob*>& bottom,
                              const std::vector<Blob*>& top) {
  if (bottom.size() == 1) return;
  float* top_data = top[0]->mutable_cpu_data();
  const int top_axis = top[0]->shape(axis_);
  int offset = 0;  // along the concat axis
  for (Blob* b : bottom) {
    const float* bottom_data = b->cpu_data();
    const int bottom_axis = b->shape(axis_);
    const int chunk = bottom_axis * inner_size_;
    for (int n = 0; n < num_concats_; ++n) {
      cpu_copy(chunk, bottom_data + n * chunk,
               top_data + (n * top_axis + offset) * inner_size_);
    }
    offset += bottom_axis;
  }
}

void ConcatLayer::Backward_cpu(const std::vector<Blob*>& top,
                               const std::vector<bool>& propagate_down,
                               const std::vector<Blob*>& bottom) {
  if (bottom.size() == 1) return;
  const float* top_diff = top[0]->cpu_diff();
  const int top_axis = top[0]->shape(axis_);
  int offset = 0;
  for (size_t i = 0; i < bottom.size(); ++i) {
    const int bottom_axis = bottom[i]->shape(axis_);
    if (propagate_down[i]) {
      float* bottom_diff = bottom[i]->mutable_cpu_diff();
      const int chunk = bottom_axis * inner_size_;
      for (int n = 0; n < num_concats_; ++n) {
        cpu_copy(chunk, top_diff + (n * top_axis + offset) * inner_size_,
                 bottom_diff + n * chunk);
      }
    }
    offset += bottom_axis;
  }
}

CREMA_REGISTER_LAYER("Concat", ConcatLayer);

}  // namespace crema
