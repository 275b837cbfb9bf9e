#include "crema/layers/normalize_layer.hpp"

#include <cmath>

#include "crema/filler.hpp"
#include "crema/layer_registry.hpp"

namespace crema {

void NormalizeLayer::LayerSetUp(const std::vector<Blob*>& bottom,
                                const std::vector<Blob*>& top) {
  if (bottom[0]->num_axes() < 2) {
    Fail("needs an input with at least 2 axes (N, C, ...); got ",
         bottom[0]->shape_string(), ".");
  }
  const NormalizeParameter& p = layer_param_.norm_param();
  across_spatial_ = p.across_spatial();
  channel_shared_ = p.channel_shared();
  eps_ = p.eps();
  const int channels = bottom[0]->shape(1);
  if (blobs_.empty()) {
    blobs_.push_back(std::make_shared<Blob>());
    blobs_[0]->Reshape(channel_shared_ ? std::vector<int>{}
                                       : std::vector<int>{channels});
    FillerParameter filler = p.scale_filler();
    if (!p.has_scale_filler()) {
      filler.set_type("constant");
      filler.set_value(1.f);
    }
    GetFiller(filler)->Fill(blobs_[0].get());
  }
  const int expected = channel_shared_ ? 1 : channels;
  if (blobs_[0]->count() != expected) {
    Fail("the scale blob has shape ", blobs_[0]->shape_string(), " but ",
         channel_shared_ ? "a shared scale needs 1 value"
                         : StrCat("the input ", bottom[0]->shape_string(),
                                  " has ", channels, " channels"),
         ".");
  }
  param_propagate_down_.assign(1, true);
}

void NormalizeLayer::Reshape(const std::vector<Blob*>& bottom,
                             const std::vector<Blob*>& top) {
  num_ = bottom[0]->shape(0);
  channels_ = bottom[0]->shape(1);
  spatial_ = bottom[0]->count(2);
  top[0]->ReshapeLike(*bottom[0]);
  norm_.assign(across_spatial_ ? num_ : num_ * spatial_, 0.f);
  normalized_.assign(bottom[0]->count(), 0.f);
}

void NormalizeLayer::Forward_cpu(const std::vector<Blob*>& bottom,
                                 const std::vector<Blob*>& top) {
  const float* x = bottom[0]->cpu_data();
  const float* scale = blobs_[0]->cpu_data();
  float* y = top[0]->mutable_cpu_data();
  std::vector<double> sums(norm_.size(), 0.0);
  for (int n = 0; n < num_; ++n) {
    for (int c = 0; c < channels_; ++c) {
      const float* in = x + (n * channels_ + c) * spatial_;
      for (int s = 0; s < spatial_; ++s) sums[NormIndex(n, s)] += in[s] * in[s];
    }
  }
  for (size_t i = 0; i < norm_.size(); ++i) {
    norm_[i] = static_cast<float>(std::sqrt(sums[i] + eps_));
  }
  for (int n = 0; n < num_; ++n) {
    for (int c = 0; c < channels_; ++c) {
      const int base = (n * channels_ + c) * spatial_;
      const float factor = scale[channel_shared_ ? 0 : c];
      for (int s = 0; s < spatial_; ++s) {
        normalized_[base + s] = x[base + s] / norm_[NormIndex(n, s)];
        y[base + s] = normalized_[base + s] * factor;
      }
    }
  }
}

void NormalizeLayer::Backward_cpu(const std::vector<Blob*>& top,
                                  const std::vector<bool>& propagate_down,
                                  const std::vector<Blob*>& bottom) {
  const float* dy = top[0]->cpu_diff();
  const float* scale = blobs_[0]->cpu_data();
  // Parameter gradients accumulate.
  if (param_propagate_down_[0]) {
    float* scale_diff = blobs_[0]->mutable_cpu_diff();
    for (int n = 0; n < num_; ++n) {
      for (int c = 0; c < channels_; ++c) {
        const int base = (n * channels_ + c) * spatial_;
        double sum = 0;
        for (int s = 0; s < spatial_; ++s) sum += dy[base + s] * normalized_[base + s];
        scale_diff[channel_shared_ ? 0 : c] += static_cast<float>(sum);
      }
    }
  }
  if (!propagate_down[0]) return;
  // With z = x / norm and dz = dy * scale: dx = (dz - z * sum(dz * z)) / norm,
  // the sum running over the elements that share the norm.
  std::vector<double> dots(norm_.size(), 0.0);
  for (int n = 0; n < num_; ++n) {
    for (int c = 0; c < channels_; ++c) {
      const int base = (n * channels_ + c) * spatial_;
      const float factor = scale[channel_shared_ ? 0 : c];
      for (int s = 0; s < spatial_; ++s) {
        dots[NormIndex(n, s)] += dy[base + s] * factor * normalized_[base + s];
      }
    }
  }
  float* dx = bottom[0]->mutable_cpu_diff();
  for (int n = 0; n < num_; ++n) {
    for (int c = 0; c < channels_; ++c) {
      const int base = (n * channels_ + c) * spatial_;
      const float factor = scale[channel_shared_ ? 0 : c];
      for (int s = 0; s < spatial_; ++s) {
        const int k = NormIndex(n, s);
        dx[base + s] = static_cast<float>(
            (dy[base + s] * factor - normalized_[base + s] * dots[k]) / norm_[k]);
      }
    }
  }
}

CREMA_REGISTER_LAYER("Normalize", NormalizeLayer);

}  // namespace crema
