#include "crema/layers/mvn_layer.hpp"

#include <cmath>

#include "crema/layer_registry.hpp"

namespace crema {

void MVNLayer::Reshape(const std::vector<Blob*>& bottom,
                       const std::vector<Blob*>& top) {
  if (bottom[0]->num_axes() > 4) {
    Fail("takes inputs of up to 4 axes (N, C, H, W); got ",
         bottom[0]->shape_string(), ".");
  }
  top[0]->ReshapeLike(*bottom[0]);
  const int num = bottom[0]->num();
  rows_ = layer_param_.mvn_param().across_channels() ? num
                                                     : num * bottom[0]->channels();
  dim_ = rows_ > 0 ? bottom[0]->count() / rows_ : 0;
  std_.assign(rows_, 1.f);
}

void MVNLayer::Forward_cpu(const std::vector<Blob*>& bottom,
                           const std::vector<Blob*>& top) {
  const MVNParameter& p = layer_param_.mvn_param();
  const float* x = bottom[0]->cpu_data();
  float* y = top[0]->mutable_cpu_data();
  for (int r = 0; r < rows_; ++r) {
    const float* in = x + r * dim_;
    float* out = y + r * dim_;
    float mean = 0.f;
    for (int j = 0; j < dim_; ++j) mean += in[j];
    mean /= dim_;
    for (int j = 0; j < dim_; ++j) out[j] = in[j] - mean;
    if (!p.normalize_variance()) continue;
    float variance = 0.f;
    for (int j = 0; j < dim_; ++j) variance += out[j] * out[j];
    variance /= dim_;
    // As in Caffe, eps is added to the standard deviation, not the variance.
    std_[r] = std::sqrt(variance) + p.eps();
    for (int j = 0; j < dim_; ++j) out[j] /= std_[r];
  }
}

void MVNLayer::Backward_cpu(const std::vector<Blob*>& top,
                            const std::vector<bool>& propagate_down,
                            const std::vector<Blob*>& bottom) {
  if (!propagate_down[0]) return;
  const bool normalize_variance = layer_param_.mvn_param().normalize_variance();
  const float* y = top[0]->cpu_data();
  const float* top_diff = top[0]->cpu_diff();
  float* bottom_diff = bottom[0]->mutable_cpu_diff();
  for (int r = 0; r < rows_; ++r) {
    const float* out = y + r * dim_;
    const float* dy = top_diff + r * dim_;
    float* dx = bottom_diff + r * dim_;
    float mean_dy = 0.f;
    float mean_dy_y = 0.f;
    for (int j = 0; j < dim_; ++j) {
      mean_dy += dy[j];
      mean_dy_y += dy[j] * out[j];
    }
    mean_dy /= dim_;
    mean_dy_y /= dim_;
    if (normalize_variance) {
      // dx = (dy - mean(dy) - y * mean(dy * y)) / std
      for (int j = 0; j < dim_; ++j) {
        dx[j] = (dy[j] - mean_dy - out[j] * mean_dy_y) / std_[r];
      }
    } else {
      for (int j = 0; j < dim_; ++j) dx[j] = dy[j] - mean_dy;
    }
  }
}

CREMA_REGISTER_LAYER("MVN", MVNLayer);

}  // namespace crema
