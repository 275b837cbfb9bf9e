#include "crema/layers/bias_layer.hpp"

#include "crema/filler.hpp"
#include "crema/layer_registry.hpp"
#include "crema/math/math_functions.hpp"

namespace crema {

void BiasLayer::LayerSetUp(const std::vector<Blob*>& bottom,
                           const std::vector<Blob*>& top) {
  // The bias is a bottom, or was loaded with the weights, or is created here.
  if (bottom.size() == 1 && blobs_.empty()) AddBiasBlob(bottom);
  param_propagate_down_.assign(blobs_.size(), true);
}

void BiasLayer::AddBiasBlob(const std::vector<Blob*>& bottom) {
  const BiasParameter& param = layer_param_.bias_param();
  int axis = 0;
  try {
    axis = bottom[0]->CanonicalAxisIndex(param.axis());
  } catch (const Error& e) {
    Fail("bias_param.axis: ", e.what());
  }
  const int num_axes = param.num_axes();
  if (num_axes < -1) {
    Fail("bias_param.num_axes must be >= 0, or -1 to extend to the last axis; got ",
         num_axes, ".");
  }
  if (num_axes >= 0 && axis + num_axes > bottom[0]->num_axes()) {
    Fail("a bias of ", num_axes, " axes starting at axis ", axis,
         " extends past the last axis of the bottom ", bottom[0]->shape_string(), ".");
  }
  const auto begin = bottom[0]->shape().begin() + axis;
  const auto end = num_axes == -1 ? bottom[0]->shape().end() : begin + num_axes;
  blobs_.push_back(std::make_shared<Blob>(std::vector<int>(begin, end)));
  GetFiller(param.filler())->Fill(blobs_[0].get());
}

void BiasLayer::Reshape(const std::vector<Blob*>& bottom,
                        const std::vector<Blob*>& top) {
  const Blob& bias = bottom.size() > 1 ? *bottom[1] : *blobs_[0];
  // A scalar bias applies everywhere; axis 0 makes outer_dim_ 1.
  int axis = 0;
  if (bias.num_axes() > 0) {
    try {
      axis = bottom[0]->CanonicalAxisIndex(layer_param_.bias_param().axis());
    } catch (const Error& e) {
      Fail("bias_param.axis: ", e.what());
    }
  }
  bool fits = axis + bias.num_axes() <= bottom[0]->num_axes();
  for (int i = 0; fits && i < bias.num_axes(); ++i) {
    fits = bottom[0]->shape(axis + i) == bias.shape(i);
  }
  if (!fits) {
    Fail("the bias ", bias.shape_string(), " does not match the axes of the bottom ",
         bottom[0]->shape_string(), " starting at axis ", axis, ".");
  }
  outer_dim_ = bottom[0]->count(0, axis);
  bias_dim_ = bias.count();
  inner_dim_ = bottom[0]->count(axis + bias.num_axes());
  if (bottom[0] != top[0]) top[0]->ReshapeLike(*bottom[0]);
}

void BiasLayer::Forward_cpu(const std::vector<Blob*>& bottom,
                            const std::vector<Blob*>& top) {
  const float* bias = (bottom.size() > 1 ? bottom[1] : blobs_[0].get())->cpu_data();
  const float* x = bottom[0]->cpu_data();
  float* y = top[0]->mutable_cpu_data();
  for (int n = 0; n < outer_dim_; ++n) {
    for (int d = 0; d < bias_dim_; ++d) {
      const int base = (n * bias_dim_ + d) * inner_dim_;
      for (int s = 0; s < inner_dim_; ++s) y[base + s] = x[base + s] + bias[d];
    }
  }
}

void BiasLayer::Backward_cpu(const std::vector<Blob*>& top,
                             const std::vector<bool>& propagate_down,
                             const std::vector<Blob*>& bottom) {
  const float* top_diff = top[0]->cpu_diff();
  if (propagate_down[0] && bottom[0] != top[0]) {
    cpu_copy(top[0]->count(), top_diff, bottom[0]->mutable_cpu_diff());
  }
  // A learned bias accumulates its gradient; a bias bottom is overwritten.
  const bool learned = bottom.size() == 1;
  if (learned ? !param_propagate_down(0) : !propagate_down[1]) return;
  Blob* bias = learned ? blobs_[0].get() : bottom[1];
  float* bias_diff = bias->mutable_cpu_diff();
  if (!learned) cpu_zero(bias_dim_, bias_diff);
  for (int n = 0; n < outer_dim_; ++n) {
    for (int d = 0; d < bias_dim_; ++d) {
      const float* p = top_diff + (n * bias_dim_ + d) * inner_dim_;
      float sum = 0.f;
      for (int s = 0; s < inner_dim_; ++s) sum += p[s];
      bias_diff[d] += sum;
    }
  }
}

CREMA_REGISTER_LAYER("Bias", BiasLayer);

}  // namespace crema
