#include "crema/layers/upsample_layer.hpp"

#include "crema/layer_registry.hpp"
#include "crema/math/math_functions.hpp"

namespace crema {

void UpsampleLayer::LayerSetUp(const std::vector<Blob*>& bottom,
                               const std::vector<Blob*>& top) {
  const UpsampleParameter& p = layer_param_.upsample_param();
  if (p.has_upsample_h() != p.has_upsample_w()) {
    Fail("give both upsample_h and upsample_w, or neither.");
  }
  if (p.has_scale_h() != p.has_scale_w()) {
    Fail("give both scale_h and scale_w, or neither.");
  }
  if (p.has_scale() && p.has_scale_h()) {
    Fail("give either scale or scale_h and scale_w, not both.");
  }
  fixed_size_ = p.has_upsample_h();
  if (fixed_size_) {
    out_h_ = static_cast<int>(p.upsample_h());
    out_w_ = static_cast<int>(p.upsample_w());
    if (out_h_ <= 0 || out_w_ <= 0)
      Fail("upsample_h and upsample_w must be positive.");
    return;
  }
  scale_h_ = static_cast<int>(p.has_scale_h() ? p.scale_h() : p.scale());
  scale_w_ = static_cast<int>(p.has_scale_w() ? p.scale_w() : p.scale());
  if (scale_h_ <= 0 || scale_w_ <= 0) Fail("the scale must be positive.");
  pad_out_h_ = p.pad_out_h() ? 1 : 0;
  pad_out_w_ = p.pad_out_w() ? 1 : 0;
}

void UpsampleLayer::Reshape(const std::vector<Blob*>& bottom,
                            const std::vector<Blob*>& top) {
  if (bottom[0]->num_axes() != 4 || bottom[1]->shape() != bottom[0]->shape()) {
    Fail(
        "the values (bottom 0) must be N x C x H x W and the mask (bottom 1) "
        "of the same shape; got ",
        bottom[0]->shape_string(), " and ", bottom[1]->shape_string(), ".");
  }
  if (!fixed_size_) {
    out_h_ = bottom[0]->height() * scale_h_ - pad_out_h_;
    out_w_ = bottom[0]->width() * scale_w_ - pad_out_w_;
  }
  top[0]->Reshape(bottom[0]->num(), bottom[0]->channels(), out_h_, out_w_);
}

void UpsampleLayer::Forward_cpu(const std::vector<Blob*>& bottom,
                                const std::vector<Blob*>& top) {
  const float* values = bottom[0]->cpu_data();
  const float* mask = bottom[1]->cpu_data();
  float* out = top[0]->mutable_cpu_data();
  cpu_zero(top[0]->count(), out);
  const int in_plane = bottom[0]->height() * bottom[0]->width();
  const int out_plane = out_h_ * out_w_;
  const int planes = bottom[0]->num() * bottom[0]->channels();
  for (int p = 0; p < planes; ++p) {
    for (int i = 0; i < in_plane; ++i) {
      const float index = mask[p * in_plane + i];
      if (index < 0) continue;  // an empty pooling window chose nothing
      if (index >= out_plane) {
        Fail("mask value ", index, " at plane ", p, ", position ", i,
             " lies outside the ", out_h_, " x ", out_w_,
             " output plane; check the scale or upsample_h/upsample_w.");
      }
      out[p * out_plane + static_cast<int>(index)] = values[p * in_plane + i];
    }
  }
}

void UpsampleLayer::Backward_cpu(const std::vector<Blob*>& top,
                                 const std::vector<bool>& propagate_down,
                                 const std::vector<Blob*>& bottom) {
  if (!propagate_down[0]) return;
  const float* mask = bottom[1]->cpu_data();
  const float* top_diff = top[0]->cpu_diff();
  float* diff = bottom[0]->mutable_cpu_diff();
  const int in_plane = bottom[0]->height() * bottom[0]->width();
  const int out_plane = out_h_ * out_w_;
  const int planes = bottom[0]->num() * bottom[0]->channels();
  for (int p = 0; p < planes; ++p) {
    for (int i = 0; i < in_plane; ++i) {
      const float index = mask[p * in_plane + i];
      diff[p * in_plane + i] =
          index < 0 ? 0.f : top_diff[p * out_plane + static_cast<int>(index)];
    }
  }
}

CREMA_REGISTER_LAYER("Upsample", UpsampleLayer);

}  // namespace crema
