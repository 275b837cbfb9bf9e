#include "crema/layers/pooling_layer.hpp"

#include <algorithm>
#include <cfloat>
#include <cmath>

#include "crema/layer_registry.hpp"
#include "crema/math/math_functions.hpp"

namespace crema {

void PoolingLayer::LayerSetUp(const std::vector<Blob*>& bottom,
                              const std::vector<Blob*>& top) {
  const PoolingParameter& p = layer_param_.pooling_param();
  method_ = p.pool();
  global_pooling_ = p.global_pooling();
  if (global_pooling_) {
    if (p.has_kernel_size() || p.has_kernel_h() || p.has_kernel_w()) {
      Fail(
          "with global_pooling the kernel is the whole input plane; do not "
          "give kernel_size or kernel_h/kernel_w.");
    }
  } else {
    if (p.has_kernel_size() && (p.has_kernel_h() || p.has_kernel_w())) {
      Fail("give either kernel_size or kernel_h and kernel_w, not both.");
    }
    if (!p.has_kernel_size() && !(p.has_kernel_h() && p.has_kernel_w())) {
      Fail(
          "needs kernel_size, or both kernel_h and kernel_w (or "
          "global_pooling).");
    }
  }
  if (p.has_pad() ? (p.has_pad_h() || p.has_pad_w())
                  : (p.has_pad_h() != p.has_pad_w())) {
    Fail("give either pad, or both pad_h and pad_w.");
  }
  if (p.has_stride() ? (p.has_stride_h() || p.has_stride_w())
                     : (p.has_stride_h() != p.has_stride_w())) {
    Fail("give either stride, or both stride_h and stride_w.");
  }
  if (global_pooling_) {
    kernel_h_ = bottom[0]->height();
    kernel_w_ = bottom[0]->width();
  } else if (p.has_kernel_size()) {
    kernel_h_ = kernel_w_ = static_cast<int>(p.kernel_size());
  } else {
    kernel_h_ = static_cast<int>(p.kernel_h());
    kernel_w_ = static_cast<int>(p.kernel_w());
  }
  if (kernel_h_ <= 0 || kernel_w_ <= 0)
    Fail("kernel dimensions cannot be zero.");
  pad_h_ = static_cast<int>(p.has_pad_h() ? p.pad_h() : p.pad());
  pad_w_ = static_cast<int>(p.has_pad_w() ? p.pad_w() : p.pad());
  // Per-side padding replaces the symmetric value on its side.
  pad_b_ = p.has_pad_b() ? static_cast<int>(p.pad_b()) : pad_h_;
  pad_r_ = p.has_pad_r() ? static_cast<int>(p.pad_r()) : pad_w_;
  if (p.has_pad_t()) pad_h_ = static_cast<int>(p.pad_t());
  if (p.has_pad_l()) pad_w_ = static_cast<int>(p.pad_l());
  stride_h_ = static_cast<int>(p.has_stride_h() ? p.stride_h() : p.stride());
  stride_w_ = static_cast<int>(p.has_stride_w() ? p.stride_w() : p.stride());
  if (stride_h_ <= 0 || stride_w_ <= 0) Fail("stride cannot be zero.");
  const bool any_pad = pad_h_ != 0 || pad_w_ != 0 || pad_b_ != 0 || pad_r_ != 0;
  if (global_pooling_ && (any_pad || stride_h_ != 1 || stride_w_ != 1)) {
    Fail("with global_pooling only pad = 0 and stride = 1 are allowed.");
  }
  if (any_pad) {
    if (method_ == PoolingParameter::STOCHASTIC) {
      Fail("padding is implemented only for AVE, MAX and L2 pooling.");
    }
    if (std::max(pad_h_, pad_b_) >= kernel_h_ ||
        std::max(pad_w_, pad_r_) >= kernel_w_) {
      Fail("pad (top ", pad_h_, ", bottom ", pad_b_, ", left ", pad_w_,
           ", right ", pad_r_, ") must be smaller than the kernel (",
           kernel_h_, " x ", kernel_w_, ").");
    }
  }
  if (method_ != PoolingParameter::MAX && method_ != PoolingParameter::AVE &&
      method_ != PoolingParameter::STOCHASTIC &&
      method_ != PoolingParameter::L2) {
    Fail("unknown pool method ", static_cast<int>(method_), ".");
  }
  // ceil_mode, when given, overrides round_mode.
  ceil_mode_ = p.has_ceil_mode() ? p.ceil_mode()
                                 : p.round_mode() == PoolingParameter::CEIL;
}

namespace {

// pad: before the input; pad_end: after it.
int PooledSize(int in, int kernel, int pad, int pad_end, int stride,
               bool ceil_mode, bool any_pad) {
  const float steps = static_cast<float>(in + pad + pad_end - kernel) / stride;
  int pooled =
      static_cast<int>(ceil_mode ? std::ceil(steps) : std::floor(steps)) + 1;
  // With padding, the last window must start inside the image or its
  // leading pad; Caffe checks this whenever either axis is padded.
  if (any_pad && (pooled - 1) * stride >= in + pad) --pooled;
  return pooled;
}

}  // namespace

void PoolingLayer::Reshape(const std::vector<Blob*>& bottom,
                           const std::vector<Blob*>& top) {
  if (bottom[0]->num_axes() != 4) {
    Fail("bottom must have 4 axes (num, channels, height, width); got ",
         bottom[0]->shape_string(), ".");
  }
  num_ = bottom[0]->num();
  channels_ = bottom[0]->channels();
  height_ = bottom[0]->height();
  width_ = bottom[0]->width();
  if (global_pooling_) {
    kernel_h_ = height_;
    kernel_w_ = width_;
  }
  const bool any_pad = pad_h_ != 0 || pad_w_ != 0 || pad_b_ != 0 || pad_r_ != 0;
  pooled_height_ = PooledSize(height_, kernel_h_, pad_h_, pad_b_, stride_h_,
                              ceil_mode_, any_pad);
  pooled_width_ = PooledSize(width_, kernel_w_, pad_w_, pad_r_, stride_w_,
                             ceil_mode_, any_pad);
  if (pooled_height_ <= 0 || pooled_width_ <= 0) {
    Fail("the kernel (", kernel_h_, " x ", kernel_w_, ") with pad (", pad_h_,
         " x ", pad_w_, ") does not fit bottom ", bottom[0]->shape_string(),
         ".");
  }
  top[0]->Reshape(num_, channels_, pooled_height_, pooled_width_);
  if (top.size() > 1) top[1]->ReshapeLike(*top[0]);
  // The argmax and sample indices are sized by the forward passes that
  // fill them, so that an engine that keeps its own holds no copy.
}

PoolingLayer::Window PoolingLayer::InputWindow(int ph, int pw) const {
  const int hstart = ph * stride_h_ - pad_h_;
  const int wstart = pw * stride_w_ - pad_w_;
  return Window{std::max(hstart, 0), std::min(hstart + kernel_h_, height_),
                std::max(wstart, 0), std::min(wstart + kernel_w_, width_)};
}

int PoolingLayer::AveragePoolSize(int ph, int pw) const {
  const int hstart = ph * stride_h_ - pad_h_;
  const int wstart = pw * stride_w_ - pad_w_;
  const int hend = std::min(hstart + kernel_h_, height_ + pad_b_);
  const int wend = std::min(wstart + kernel_w_, width_ + pad_r_);
  return (hend - hstart) * (wend - wstart);
}

void PoolingLayer::Forward_cpu(const std::vector<Blob*>& bottom,
                               const std::vector<Blob*>& top) {
  switch (method_) {
    case PoolingParameter::MAX:
      ForwardMax(*bottom[0], top);
      break;
    case PoolingParameter::AVE:
    case PoolingParameter::L2:
      ForwardAve(*bottom[0], top[0]);
      break;
    case PoolingParameter::STOCHASTIC:
      ForwardStochastic(*bottom[0], top[0]);
      break;
  }
}

void PoolingLayer::ForwardMax(const Blob& bottom,
                              const std::vector<Blob*>& top) {
  const float* bottom_data = bottom.cpu_data();
  float* top_data = top[0]->mutable_cpu_data();
  float* top_mask = top.size() > 1 ? top[1]->mutable_cpu_data() : nullptr;
  if (!top_mask) max_idx_.resize(top[0]->count());
  const int plane = height_ * width_;
  const int pooled_plane = pooled_height_ * pooled_width_;
  for (int p = 0; p < num_ * channels_; ++p) {
    const float* in = bottom_data + p * plane;
    for (int ph = 0; ph < pooled_height_; ++ph) {
      for (int pw = 0; pw < pooled_width_; ++pw) {
        const Window win = InputWindow(ph, pw);
        float best = -FLT_MAX;
        int best_index = -1;
        for (int h = win.hstart; h < win.hend; ++h) {
          for (int w = win.wstart; w < win.wend; ++w) {
            if (in[h * width_ + w] > best) {
              best = in[h * width_ + w];
              best_index = h * width_ + w;
            }
          }
        }
        const int out = p * pooled_plane + ph * pooled_width_ + pw;
        top_data[out] = best;
        if (top_mask) {
          top_mask[out] = static_cast<float>(best_index);
        } else {
          max_idx_[out] = best_index;
        }
      }
    }
  }
}

void PoolingLayer::ForwardAve(const Blob& bottom, Blob* top) {
  const float* bottom_data = bottom.cpu_data();
  float* top_data = top->mutable_cpu_data();
  const int plane = height_ * width_;
  const int pooled_plane = pooled_height_ * pooled_width_;
  for (int p = 0; p < num_ * channels_; ++p) {
    const float* in = bottom_data + p * plane;
    for (int ph = 0; ph < pooled_height_; ++ph) {
      for (int pw = 0; pw < pooled_width_; ++pw) {
        const Window win = InputWindow(ph, pw);
        float* out = top_data + p * pooled_plane + ph * pooled_width_ + pw;
        float sum = 0.f;
        if (method_ == PoolingParameter::L2) {
          for (int h = win.hstart; h < win.hend; ++h) {
            for (int w = win.wstart; w < win.wend; ++w) {
              sum += in[h * width_ + w] * in[h * width_ + w];
            }
          }
          *out = std::sqrt(sum);
          continue;
        }
        for (int h = win.hstart; h < win.hend; ++h) {
          for (int w = win.wstart; w < win.wend; ++w) sum += in[h * width_ + w];
        }
        *out = sum / AveragePoolSize(ph, pw);
      }
    }
  }
}

// TRAIN: pick one input of the window with probability proportional to its
// value (inputs are expected to be non-negative, e.g. after a ReLU).
// TEST: the probability-weighted mean, sum(x^2) / sum(x).
void PoolingLayer::ForwardStochastic(const Blob& bottom, Blob* top) {
  const float* bottom_data = bottom.cpu_data();
  float* top_data = top->mutable_cpu_data();
  rand_idx_.resize(top->count());
  const int plane = height_ * width_;
  const int pooled_plane = pooled_height_ * pooled_width_;
  const bool train = phase_ == TRAIN;
  std::vector<float> uniform;
  if (train) {
    uniform.resize(top->count());
    rng_uniform(top->count(), 0.f, 1.f, uniform.data());
  }
  for (int p = 0; p < num_ * channels_; ++p) {
    const float* in = bottom_data + p * plane;
    for (int ph = 0; ph < pooled_height_; ++ph) {
      for (int pw = 0; pw < pooled_width_; ++pw) {
        const Window win = InputWindow(ph, pw);
        const int out = p * pooled_plane + ph * pooled_width_ + pw;
        float sum = 0.f, sum_sq = 0.f;
        for (int h = win.hstart; h < win.hend; ++h) {
          for (int w = win.wstart; w < win.wend; ++w) {
            sum += in[h * width_ + w];
            sum_sq += in[h * width_ + w] * in[h * width_ + w];
          }
        }
        if (!train) {
          top_data[out] = sum > 0.f ? sum_sq / sum : 0.f;
          continue;
        }
        // The first input at which the running sum reaches the threshold.
        const float threshold = uniform[out] * sum;
        int chosen = -1;
        float running = 0.f;
        for (int h = win.hstart; h < win.hend && chosen < 0; ++h) {
          for (int w = win.wstart; w < win.wend && chosen < 0; ++w) {
            running += in[h * width_ + w];
            if (running >= threshold) chosen = h * width_ + w;
          }
        }
        // Rounding can leave the total just short: take the last input.
        if (chosen < 0 && win.hend > win.hstart && win.wend > win.wstart) {
          chosen = (win.hend - 1) * width_ + (win.wend - 1);
        }
        rand_idx_[out] = chosen;
        top_data[out] = chosen >= 0 ? in[chosen] : 0.f;
      }
    }
  }
}

void PoolingLayer::Backward_cpu(const std::vector<Blob*>& top,
                                const std::vector<bool>& propagate_down,
                                const std::vector<Blob*>& bottom) {
  if (!propagate_down[0]) return;
  const float* top_diff = top[0]->cpu_diff();
  const float* top_data = top[0]->cpu_data();
  const float* top_mask = top.size() > 1 ? top[1]->cpu_data() : nullptr;
  const float* bottom_data = bottom[0]->cpu_data();
  float* bottom_diff = bottom[0]->mutable_cpu_diff();
  cpu_zero(bottom[0]->count(), bottom_diff);
  const int plane = height_ * width_;
  const int pooled_plane = pooled_height_ * pooled_width_;
  const bool train = phase_ == TRAIN;
  const size_t top_count = top[0]->count();
  if ((method_ == PoolingParameter::MAX && !top_mask && max_idx_.size() != top_count) ||
      (method_ == PoolingParameter::STOCHASTIC && train && rand_idx_.size() != top_count)) {
    Fail("Backward needs a Forward pass of the same shape first (the chosen inputs of "
         "top ", top[0]->shape_string(), " are not known).");
  }
  for (int p = 0; p < num_ * channels_; ++p) {
    for (int ph = 0; ph < pooled_height_; ++ph) {
      for (int pw = 0; pw < pooled_width_; ++pw) {
        const int out = p * pooled_plane + ph * pooled_width_ + pw;
        float* in_diff = bottom_diff + p * plane;
        // MAX and TRAIN-phase STOCHASTIC pass the gradient to one input
        // (none for an empty window, which Caffe's ceil rule can make when
        // stride > kernel without padding).
        if (method_ == PoolingParameter::MAX) {
          const int chosen =
              top_mask ? static_cast<int>(top_mask[out]) : max_idx_[out];
          if (chosen >= 0) in_diff[chosen] += top_diff[out];
        } else if (method_ == PoolingParameter::STOCHASTIC && train) {
          if (rand_idx_[out] >= 0) in_diff[rand_idx_[out]] += top_diff[out];
        } else {
          BackwardWindow(ph, pw, bottom_data + p * plane, top_data[out],
                         top_diff[out], in_diff);
        }
      }
    }
  }
}

// AVE: every input of the window gets grad / pool size. L2: d/dx_i of
// sqrt(sum(x^2)) is x_i / y (0 where y is 0). STOCHASTIC (TEST): d/dx_i of
// sum(x^2) / sum(x) is (2 x_i - y) / sum(x).
void PoolingLayer::BackwardWindow(int ph, int pw, const float* in, float y,
                                  float grad, float* in_diff) const {
  const Window win = InputWindow(ph, pw);
  if (method_ == PoolingParameter::L2) {
    if (y <= 0.f) return;
    for (int h = win.hstart; h < win.hend; ++h) {
      for (int w = win.wstart; w < win.wend; ++w) {
        in_diff[h * width_ + w] += grad * in[h * width_ + w] / y;
      }
    }
    return;
  }
  if (method_ == PoolingParameter::AVE) {
    const float share = grad / AveragePoolSize(ph, pw);
    for (int h = win.hstart; h < win.hend; ++h) {
      for (int w = win.wstart; w < win.wend; ++w) {
        in_diff[h * width_ + w] += share;
      }
    }
    return;
  }
  float sum = 0.f;
  for (int h = win.hstart; h < win.hend; ++h) {
    for (int w = win.wstart; w < win.wend; ++w) sum += in[h * width_ + w];
  }
  if (sum <= 0.f) return;  // the forward pass output 0 there
  for (int h = win.hstart; h < win.hend; ++h) {
    for (int w = win.wstart; w < win.wend; ++w) {
      in_diff[h * width_ + w] += grad * (2.f * in[h * width_ + w] - y) / sum;
    }
  }
}

CREMA_REGISTER_LAYER("Pooling", PoolingLayer);

}  // namespace crema
