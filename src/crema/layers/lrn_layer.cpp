#include "crema/layers/lrn_layer.hpp"

#include <algorithm>

#include "crema/layer_registry.hpp"
#include "crema/math/math_functions.hpp"

namespace crema {

void LRNLayer::LayerSetUp(const std::vector<Blob*>& bottom,
                          const std::vector<Blob*>& top) {
  const LRNParameter& p = layer_param_.lrn_param();
  size_ = static_cast<int>(p.local_size());
  if (size_ % 2 != 1) {
    Fail("local_size must be odd (the window is centred); got ", size_, ".");
  }
  pre_pad_ = (size_ - 1) / 2;
  alpha_ = p.alpha();
  beta_ = p.beta();
  across_channels_ = p.norm_region() == LRNParameter::ACROSS_CHANNELS;
  if (across_channels_) {
    constant_ = p.k();
    norm_ = static_cast<float>(size_);
  } else {
    if (p.k() != 1.f) {
      LOG(WARNING) << Describe() << ": k is ignored with WITHIN_CHANNEL "
                   << "normalization (the constant is 1, as in Caffe).";
    }
    constant_ = 1.f;
    norm_ = static_cast<float>(size_ * size_);
  }
}

void LRNLayer::Reshape(const std::vector<Blob*>& bottom,
                       const std::vector<Blob*>& top) {
  if (bottom[0]->num_axes() != 4) {
    Fail("bottom must have 4 axes (num, channels, height, width); got ",
         bottom[0]->shape_string(), ".");
  }
  num_ = bottom[0]->num();
  channels_ = bottom[0]->channels();
  height_ = bottom[0]->height();
  width_ = bottom[0]->width();
  top[0]->ReshapeLike(*bottom[0]);
  scale_.ReshapeLike(*bottom[0]);
}

void LRNLayer::NeighbourhoodSum(const float* in, float* out) const {
  const int plane = height_ * width_;
  cpu_zero(num_ * channels_ * plane, out);
  if (across_channels_) {
    for (int n = 0; n < num_; ++n) {
      for (int c = 0; c < channels_; ++c) {
        float* dst = out + (n * channels_ + c) * plane;
        const int first = std::max(c - pre_pad_, 0);
        const int last = std::min(c + pre_pad_, channels_ - 1);
        for (int c2 = first; c2 <= last; ++c2) {
          cpu_axpy(plane, 1.f, in + (n * channels_ + c2) * plane, dst);
        }
      }
    }
    return;
  }
  for (int p = 0; p < num_ * channels_; ++p) {
    const float* src = in + p * plane;
    float* dst = out + p * plane;
    for (int h = 0; h < height_; ++h) {
      for (int w = 0; w < width_; ++w) {
        float sum = 0.f;
        for (int h2 = std::max(h - pre_pad_, 0);
             h2 <= std::min(h + pre_pad_, height_ - 1); ++h2) {
          for (int w2 = std::max(w - pre_pad_, 0);
               w2 <= std::min(w + pre_pad_, width_ - 1); ++w2) {
            sum += src[h2 * width_ + w2];
          }
        }
        dst[h * width_ + w] = sum;
      }
    }
  }
}

// scale = constant + alpha / norm * (neighbourhood sum of x^2);
// y = x * scale^-beta.
void LRNLayer::Forward_cpu(const std::vector<Blob*>& bottom,
                           const std::vector<Blob*>& top) {
  const int count = bottom[0]->count();
  const float* bottom_data = bottom[0]->cpu_data();
  float* top_data = top[0]->mutable_cpu_data();
  float* scale = scale_.mutable_cpu_data();
  std::vector<float> squares(count);
  cpu_sqr(count, bottom_data, squares.data());
  NeighbourhoodSum(squares.data(), scale);
  for (int i = 0; i < count; ++i)
    scale[i] = constant_ + alpha_ / norm_ * scale[i];
  cpu_powx(count, scale, -beta_, top_data);
  cpu_mul(count, top_data, bottom_data, top_data);
}

// dx_i = dy_i * scale_i^-beta
//        - 2 alpha beta / norm * x_i * sum_{j near i} dy_j * y_j / scale_j.
void LRNLayer::Backward_cpu(const std::vector<Blob*>& top,
                            const std::vector<bool>& propagate_down,
                            const std::vector<Blob*>& bottom) {
  if (!propagate_down[0]) return;
  const int count = bottom[0]->count();
  const float* top_diff = top[0]->cpu_diff();
  const float* top_data = top[0]->cpu_data();
  const float* bottom_data = bottom[0]->cpu_data();
  const float* scale = scale_.cpu_data();
  float* bottom_diff = bottom[0]->mutable_cpu_diff();
  std::vector<float> ratio(count), accum(count);
  for (int i = 0; i < count; ++i)
    ratio[i] = top_diff[i] * top_data[i] / scale[i];
  NeighbourhoodSum(ratio.data(), accum.data());
  cpu_powx(count, scale, -beta_, bottom_diff);
  const float factor = 2.f * alpha_ * beta_ / norm_;
  for (int i = 0; i < count; ++i) {
    bottom_diff[i] =
        top_diff[i] * bottom_diff[i] - factor * bottom_data[i] * accum[i];
  }
}

CREMA_REGISTER_LAYER("LRN", LRNLayer);

}  // namespace crema
