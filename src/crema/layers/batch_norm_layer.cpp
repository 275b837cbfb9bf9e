#include "crema/layers/batch_norm_layer.hpp"

#include <cmath>

#include "crema/layer_registry.hpp"
#include "crema/math/math_functions.hpp"

namespace crema {

void BatchNormLayer::LayerSetUp(const std::vector<Blob*>& bottom,
                                const std::vector<Blob*>& top) {
  const BatchNormParameter& param = layer_param_.batch_norm_param();
  moving_average_fraction_ = param.moving_average_fraction();
  use_global_stats_ = param.has_use_global_stats() ? param.use_global_stats()
                                                   : phase_ == TEST;
  eps_ = param.eps();
  channels_ = bottom[0]->num_axes() == 1 ? 1 : bottom[0]->shape(1);
  if (blobs_.empty()) {
    blobs_.push_back(std::make_shared<Blob>(std::vector<int>{channels_}));
    blobs_.push_back(std::make_shared<Blob>(std::vector<int>{channels_}));
    blobs_.push_back(std::make_shared<Blob>(std::vector<int>{1}));
    for (auto& blob : blobs_) cpu_zero(blob->count(), blob->mutable_cpu_data());
  } else if (blobs_.size() != 3 || blobs_[0]->count() != channels_ ||
             blobs_[1]->count() != channels_ || blobs_[2]->count() != 1) {
    Fail("expects three stored blobs (mean and variance with ", channels_,
         " values each, and a one-value scale factor); the stored blobs do not match.");
  }
  // The statistics are not learned: the solver must leave them alone.
  for (int i = 0; i < static_cast<int>(blobs_.size()); ++i) {
    if (layer_param_.param_size() == i) {
      layer_param_.add_param()->set_lr_mult(0.f);
    } else if (layer_param_.param(i).lr_mult() != 0.f) {
      Fail("param ", i, " has lr_mult ", layer_param_.param(i).lr_mult(),
           "; the batch statistics cannot be learned, so lr_mult must be 0.");
    }
  }
  param_propagate_down_.assign(blobs_.size(), false);
}

void BatchNormLayer::Reshape(const std::vector<Blob*>& bottom,
                             const std::vector<Blob*>& top) {
  const int bottom_channels = bottom[0]->num_axes() == 1 ? 1 : bottom[0]->shape(1);
  if (bottom_channels != channels_) {
    Fail("was set up for ", channels_, " channels but the bottom ",
         bottom[0]->shape_string(), " has ", bottom_channels, ".");
  }
  top[0]->ReshapeLike(*bottom[0]);
  num_ = bottom[0]->shape(0);
  spatial_dim_ = num_ * channels_ == 0 ? 0 : bottom[0]->count() / (num_ * channels_);
  mean_.resize(channels_);
  std_.resize(channels_);
  x_norm_.resize(bottom[0]->count());
}

void BatchNormLayer::Forward_cpu(const std::vector<Blob*>& bottom,
                                 const std::vector<Blob*>& top) {
  const int count = bottom[0]->count();
  const float* x = bottom[0]->cpu_data();
  float* y = top[0]->mutable_cpu_data();
  const int m = num_ * spatial_dim_;  // values per channel
  std::vector<float> variance(channels_, 0.f);

  if (use_global_stats_) {
    const float stored = blobs_[2]->cpu_data()[0];
    const float factor = stored == 0.f ? 0.f : 1.f / stored;
    for (int c = 0; c < channels_; ++c) {
      mean_[c] = factor * blobs_[0]->cpu_data()[c];
      variance[c] = factor * blobs_[1]->cpu_data()[c];
    }
  } else {
    for (int c = 0; c < channels_; ++c) {
      double sum = 0.0, sum_sq = 0.0;
      for (int n = 0; n < num_; ++n) {
        const float* p = x + (n * channels_ + c) * spatial_dim_;
        for (int s = 0; s < spatial_dim_; ++s) sum += p[s];
      }
      mean_[c] = static_cast<float>(sum / m);
      for (int n = 0; n < num_; ++n) {
        const float* p = x + (n * channels_ + c) * spatial_dim_;
        for (int s = 0; s < spatial_dim_; ++s) {
          const double d = p[s] - mean_[c];
          sum_sq += d * d;
        }
      }
      variance[c] = static_cast<float>(sum_sq / m);
    }
    UpdateRunningStats(mean_.data(), variance.data(), m);
  }

  for (int c = 0; c < channels_; ++c) std_[c] = std::sqrt(variance[c] + eps_);
  // Reads x before writing y at the same index, so in place works.
  for (int n = 0; n < num_; ++n) {
    for (int c = 0; c < channels_; ++c) {
      const int base = (n * channels_ + c) * spatial_dim_;
      for (int s = 0; s < spatial_dim_; ++s) {
        y[base + s] = (x[base + s] - mean_[c]) / std_[c];
      }
    }
  }
  cpu_copy(count, y, x_norm_.data());
}

// Running sums, decayed by moving_average_fraction; the variance gets the
// unbiased (m / (m - 1)) correction.
void BatchNormLayer::UpdateRunningStats(const float* mean, const float* variance, int m) {
  float* scale_factor = blobs_[2]->mutable_cpu_data();
  scale_factor[0] = scale_factor[0] * moving_average_fraction_ + 1.f;
  const float correction = m > 1 ? static_cast<float>(m) / (m - 1) : 1.f;
  cpu_axpby(channels_, 1.f, mean, moving_average_fraction_, blobs_[0]->mutable_cpu_data());
  cpu_axpby(channels_, correction, variance, moving_average_fraction_,
            blobs_[1]->mutable_cpu_data());
}

void BatchNormLayer::Backward_cpu(const std::vector<Blob*>& top,
                                  const std::vector<bool>& propagate_down,
                                  const std::vector<Blob*>& bottom) {
  if (!propagate_down[0]) return;
  const int count = bottom[0]->count();
  const float* top_diff = top[0]->cpu_diff();
  if (bottom[0] == top[0]) {
    top_diff_.assign(top_diff, top_diff + count);
    top_diff = top_diff_.data();
  }
  float* bottom_diff = bottom[0]->mutable_cpu_diff();

  if (use_global_stats_) {
    // The statistics are constants: dx = dy / std.
    for (int n = 0; n < num_; ++n) {
      for (int c = 0; c < channels_; ++c) {
        const int base = (n * channels_ + c) * spatial_dim_;
        for (int s = 0; s < spatial_dim_; ++s) {
          bottom_diff[base + s] = top_diff[base + s] / std_[c];
        }
      }
    }
    return;
  }

  // With y = (x - mean) / std over the m values of a channel:
  // dx = (dy - mean(dy) - y * mean(dy * y)) / std.
  const float m = static_cast<float>(num_ * spatial_dim_);
  std::vector<double> sum_dy(channels_, 0.0), sum_dy_y(channels_, 0.0);
  for (int n = 0; n < num_; ++n) {
    for (int c = 0; c < channels_; ++c) {
      const int base = (n * channels_ + c) * spatial_dim_;
      for (int s = 0; s < spatial_dim_; ++s) {
        sum_dy[c] += top_diff[base + s];
        sum_dy_y[c] += top_diff[base + s] * x_norm_[base + s];
      }
    }
  }
  for (int n = 0; n < num_; ++n) {
    for (int c = 0; c < channels_; ++c) {
      const int base = (n * channels_ + c) * spatial_dim_;
      const float mean_dy = static_cast<float>(sum_dy[c] / m);
      const float mean_dy_y = static_cast<float>(sum_dy_y[c] / m);
      for (int s = 0; s < spatial_dim_; ++s) {
        const float y = x_norm_[base + s];
        bottom_diff[base + s] = (top_diff[base + s] - mean_dy - y * mean_dy_y) / std_[c];
      }
    }
  }
}

CREMA_REGISTER_LAYER("BatchNorm", BatchNormLayer);

}  // namespace crema
