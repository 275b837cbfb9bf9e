#include "crema/layers/softmax_layer.hpp"

#include <algorithm>
#include <cmath>

#include "crema/layer_registry.hpp"
#include "crema/math/math_functions.hpp"

namespace crema {

void SoftmaxLayer::Reshape(const std::vector<Blob*>& bottom,
                           const std::vector<Blob*>& top) {
  try {
    axis_ = bottom[0]->CanonicalAxisIndex(layer_param_.softmax_param().axis());
  } catch (const Error& e) {
    Fail("softmax_param.axis: ", e.what());
  }
  top[0]->ReshapeLike(*bottom[0]);
  outer_num_ = bottom[0]->count(0, axis_);
  channels_ = bottom[0]->shape(axis_);
  inner_num_ = bottom[0]->count(axis_ + 1);
}

void SoftmaxLayer::Forward_cpu(const std::vector<Blob*>& bottom,
                               const std::vector<Blob*>& top) {
  const float* x = bottom[0]->cpu_data();
  float* y = top[0]->mutable_cpu_data();
  const int dim = channels_ * inner_num_;
  for (int i = 0; i < outer_num_; ++i) {
    for (int j = 0; j < inner_num_; ++j) {
      const float* in = x + i * dim + j;
      float* out = y + i * dim + j;
      // Subtracting the maximum keeps exp() from overflowing.
      float max_value = in[0];
      for (int c = 1; c < channels_; ++c) max_value = std::max(max_value, in[c * inner_num_]);
      float sum = 0.f;
      for (int c = 0; c < channels_; ++c) {
        out[c * inner_num_] = std::exp(in[c * inner_num_] - max_value);
        sum += out[c * inner_num_];
      }
      for (int c = 0; c < channels_; ++c) out[c * inner_num_] /= sum;
    }
  }
}

void SoftmaxLayer::Backward_cpu(const std::vector<Blob*>& top,
                                const std::vector<bool>& propagate_down,
                                const std::vector<Blob*>& bottom) {
  if (!propagate_down[0]) return;
  // dx_c = y_c (dy_c - sum_k dy_k y_k). Reading each diff before writing it
  // keeps this correct in place.
  const float* y = top[0]->cpu_data();
  const float* top_diff = top[0]->cpu_diff();
  float* bottom_diff = bottom[0]->mutable_cpu_diff();
  const int dim = channels_ * inner_num_;
  for (int i = 0; i < outer_num_; ++i) {
    for (int j = 0; j < inner_num_; ++j) {
      const int base = i * dim + j;
      const float dot = cpu_strided_dot(channels_, top_diff + base, inner_num_,
                                        y + base, inner_num_);
      for (int c = 0; c < channels_; ++c) {
        const int idx = base + c * inner_num_;
        bottom_diff[idx] = (top_diff[idx] - dot) * y[idx];
      }
    }
  }
}

CREMA_REGISTER_LAYER("Softmax", SoftmaxLayer);

}  // namespace crema
