#include "crema/layers/scale_layer.hpp"

#include "crema/filler.hpp"
#include "crema/layer_registry.hpp"
#include "crema/math/math_functions.hpp"

namespace crema {

std::vector<int> ScaleLayer::ParamShape(const std::vector<Blob*>& bottom) const {
  if (bottom.size() > 1) return bottom[1]->shape();
  const ScaleParameter& param = layer_param_.scale_param();
  int axis = 0;
  try {
    axis = bottom[0]->CanonicalAxisIndex(param.axis());
  } catch (const Error& e) {
    Fail("scale_param.axis: ", e.what());
  }
  const int num_axes = param.num_axes();
  if (num_axes < -1) {
    Fail("scale_param.num_axes must be >= 0, or -1 to extend to the last axis; got ",
         num_axes, ".");
  }
  if (num_axes >= 0 && axis + num_axes > bottom[0]->num_axes()) {
    Fail("a scale of ", num_axes, " axes starting at axis ", axis,
         " extends past the last axis of the bottom ", bottom[0]->shape_string(), ".");
  }
  const auto begin = bottom[0]->shape().begin() + axis;
  const auto end = num_axes == -1 ? bottom[0]->shape().end() : begin + num_axes;
  return std::vector<int>(begin, end);
}

void ScaleLayer::LayerSetUp(const std::vector<Blob*>& bottom,
                            const std::vector<Blob*>& top) {
  const ScaleParameter& param = layer_param_.scale_param();
  const bool learned_scale = bottom.size() == 1;
  // Blobs loaded with the weights are kept; missing ones are created.
  if (learned_scale && blobs_.empty()) {
    blobs_.push_back(std::make_shared<Blob>(ParamShape(bottom)));
    FillerParameter filler = param.filler();
    if (!param.has_filler()) filler.set_value(1.f);  // constant 1: identity
    GetFiller(filler)->Fill(blobs_.back().get());
  }
  bias_param_id_ = -1;
  if (param.bias_term()) {
    if (blobs_.size() < (learned_scale ? 2u : 1u)) {
      blobs_.push_back(std::make_shared<Blob>(ParamShape(bottom)));
      GetFiller(param.bias_filler())->Fill(blobs_.back().get());
    }
    bias_param_id_ = static_cast<int>(blobs_.size()) - 1;
  }
  param_propagate_down_.assign(blobs_.size(), true);
}

void ScaleLayer::Reshape(const std::vector<Blob*>& bottom,
                         const std::vector<Blob*>& top) {
  const Blob& s = scale(bottom);
  // A scalar scale applies everywhere; axis 0 makes outer_dim_ 1.
  int axis = 0;
  if (s.num_axes() > 0) {
    try {
      axis = bottom[0]->CanonicalAxisIndex(layer_param_.scale_param().axis());
    } catch (const Error& e) {
      Fail("scale_param.axis: ", e.what());
    }
  }
  bool fits = axis + s.num_axes() <= bottom[0]->num_axes();
  for (int i = 0; fits && i < s.num_axes(); ++i) {
    fits = bottom[0]->shape(axis + i) == s.shape(i);
  }
  if (!fits) {
    Fail("the scale ", s.shape_string(), " does not match the axes of the bottom ",
         bottom[0]->shape_string(), " starting at axis ", axis, ".");
  }
  outer_dim_ = bottom[0]->count(0, axis);
  scale_dim_ = s.count();
  inner_dim_ = bottom[0]->count(axis + s.num_axes());
  if (bias_param_id_ >= 0 && blobs_[bias_param_id_]->count() != scale_dim_) {
    Fail("the bias ", blobs_[bias_param_id_]->shape_string(),
         " does not match the scale ", s.shape_string(), ".");
  }
  if (bottom[0] == top[0]) {
    bottom_copy_.ReshapeLike(*bottom[0]);
  } else {
    top[0]->ReshapeLike(*bottom[0]);
  }
}

void ScaleLayer::Forward_cpu(const std::vector<Blob*>& bottom,
                             const std::vector<Blob*>& top) {
  if (bottom[0] == top[0]) {
    cpu_copy(bottom[0]->count(), bottom[0]->cpu_data(), bottom_copy_.mutable_cpu_data());
  }
  const float* scale_data = scale(bottom).cpu_data();
  const float* bias = bias_param_id_ >= 0 ? blobs_[bias_param_id_]->cpu_data() : nullptr;
  const float* x = bottom[0]->cpu_data();
  float* y = top[0]->mutable_cpu_data();
  for (int n = 0; n < outer_dim_; ++n) {
    for (int d = 0; d < scale_dim_; ++d) {
      const int base = (n * scale_dim_ + d) * inner_dim_;
      const float shift = bias ? bias[d] : 0.f;
      for (int i = 0; i < inner_dim_; ++i) {
        y[base + i] = x[base + i] * scale_data[d] + shift;
      }
    }
  }
}

void ScaleLayer::Backward_cpu(const std::vector<Blob*>& top,
                              const std::vector<bool>& propagate_down,
                              const std::vector<Blob*>& bottom) {
  const float* top_diff = top[0]->cpu_diff();
  // Parameter gradients accumulate; a scale bottom's diff is overwritten.
  if (bias_param_id_ >= 0 && param_propagate_down(bias_param_id_)) {
    float* bias_diff = blobs_[bias_param_id_]->mutable_cpu_diff();
    for (int n = 0; n < outer_dim_; ++n) {
      for (int d = 0; d < scale_dim_; ++d) {
        const float* p = top_diff + (n * scale_dim_ + d) * inner_dim_;
        float sum = 0.f;
        for (int i = 0; i < inner_dim_; ++i) sum += p[i];
        bias_diff[d] += sum;
      }
    }
  }
  const bool learned_scale = bottom.size() == 1;
  if (learned_scale ? param_propagate_down(0) : propagate_down[1]) {
    Blob* s = learned_scale ? blobs_[0].get() : bottom[1];
    float* scale_diff = s->mutable_cpu_diff();
    if (!learned_scale) cpu_zero(scale_dim_, scale_diff);
    const float* x = bottom[0] == top[0] ? bottom_copy_.cpu_data() : bottom[0]->cpu_data();
    for (int n = 0; n < outer_dim_; ++n) {
      for (int d = 0; d < scale_dim_; ++d) {
        const int base = (n * scale_dim_ + d) * inner_dim_;
        scale_diff[d] += cpu_dot(inner_dim_, top_diff + base, x + base);
      }
    }
  }
  if (propagate_down[0]) {
    const float* scale_data = scale(bottom).cpu_data();
    float* bottom_diff = bottom[0]->mutable_cpu_diff();
    for (int n = 0; n < outer_dim_; ++n) {
      for (int d = 0; d < scale_dim_; ++d) {
        const int base = (n * scale_dim_ + d) * inner_dim_;
        for (int i = 0; i < inner_dim_; ++i) {
          bottom_diff[base + i] = top_diff[base + i] * scale_data[d];
        }
      }
    }
  }
}

CREMA_REGISTER_LAYER("Scale", ScaleLayer);

}  // namespace crema
