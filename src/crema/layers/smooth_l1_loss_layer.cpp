#include "crema/layers/smooth_l1_loss_layer.hpp"

#include <cmath>

#include "crema/layer_registry.hpp"

namespace crema {

void SmoothL1LossLayer::LayerSetUp(const std::vector<Blob*>& bottom,
                                   const std::vector<Blob*>& top) {
  LossLayer::LayerSetUp(bottom, top);
  const float sigma = layer_param_.smooth_l1_loss_param().sigma();
  if (!(sigma > 0.f)) Fail("smooth_l1_loss_param.sigma must be positive, got ", sigma, ".");
  sigma2_ = sigma * sigma;
  if (bottom.size() == 3) {
    Fail("takes the inside and the outside weights together (4 bottoms) or neither "
         "(2 bottoms), got 3 bottoms.");
  }
  has_weights_ = bottom.size() == 4;
}

void SmoothL1LossLayer::Reshape(const std::vector<Blob*>& bottom,
                                const std::vector<Blob*>& top) {
  LossLayer::Reshape(bottom, top);
  static const char* const kNames[] = {"predictions", "targets", "inside weights",
                                       "outside weights"};
  for (size_t i = 1; i < bottom.size(); ++i) {
    if (bottom[i]->shape() != bottom[0]->shape()) {
      Fail("the ", kNames[i], " (bottom '", layer_param_.bottom(i), "', ",
           bottom[i]->shape_string(), ") must have the shape of the predictions (bottom '",
           layer_param_.bottom(0), "', ", bottom[0]->shape_string(), ").");
    }
  }
  diff_.ReshapeLike(*bottom[0]);
}

void SmoothL1LossLayer::Forward_cpu(const std::vector<Blob*>& bottom,
                                    const std::vector<Blob*>& top) {
  const int count = bottom[0]->count();
  const float* a = bottom[0]->cpu_data();
  const float* b = bottom[1]->cpu_data();
  const float* inside = has_weights_ ? bottom[2]->cpu_data() : nullptr;
  const float* outside = has_weights_ ? bottom[3]->cpu_data() : nullptr;
  float* d = diff_.mutable_cpu_data();
  double loss = 0;
  for (int i = 0; i < count; ++i) {
    d[i] = a[i] - b[i];
    if (inside) d[i] *= inside[i];
    const float x = std::fabs(d[i]);
    float value = x < 1.f / sigma2_ ? 0.5f * sigma2_ * x * x : x - 0.5f / sigma2_;
    if (outside) value *= outside[i];
    loss += value;
  }
  top[0]->mutable_cpu_data()[0] = static_cast<float>(loss / bottom[0]->shape(0));
}

void SmoothL1LossLayer::Backward_cpu(const std::vector<Blob*>& top,
                                     const std::vector<bool>& propagate_down,
                                     const std::vector<Blob*>& bottom) {
  const int count = bottom[0]->count();
  const float* d = diff_.cpu_data();
  const float* inside = has_weights_ ? bottom[2]->cpu_data() : nullptr;
  const float* outside = has_weights_ ? bottom[3]->cpu_data() : nullptr;
  for (int k = 0; k < 2; ++k) {
    if (!propagate_down[k]) continue;
    const float sign = k == 0 ? 1.f : -1.f;
    const float alpha = sign * top[0]->cpu_diff()[0] / bottom[0]->shape(0);
    float* grad = bottom[k]->mutable_cpu_diff();
    for (int i = 0; i < count; ++i) {
      // f'(x): sigma^2 x inside the quadratic zone, sign(x) outside it.
      float slope = std::fabs(d[i]) < 1.f / sigma2_ ? sigma2_ * d[i]
                                                     : (d[i] > 0.f ? 1.f : -1.f);
      if (inside) slope *= inside[i] * outside[i];
      grad[i] = alpha * slope;
    }
  }
}

CREMA_REGISTER_LAYER("SmoothL1Loss", SmoothL1LossLayer);

}  // namespace crema
