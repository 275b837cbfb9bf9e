#include "crema/layers/contrastive_loss_layer.hpp"

#include <algorithm>
#include <cmath>

#include "crema/layer_registry.hpp"
#include "crema/math/math_functions.hpp"

namespace crema {

void ContrastiveLossLayer::LayerSetUp(const std::vector<Blob*>& bottom,
                                      const std::vector<Blob*>& top) {
  LossLayer::LayerSetUp(bottom, top);
}

void ContrastiveLossLayer::Reshape(const std::vector<Blob*>& bottom,
                                   const std::vector<Blob*>& top) {
  LossLayer::Reshape(bottom, top);
  const Blob& a = *bottom[0];
  const Blob& b = *bottom[1];
  const Blob& y = *bottom[2];
  if (a.shape() != b.shape() || a.num_axes() < 2 || a.count(2) != 1) {
    Fail("the two feature blobs must both be N x C (x 1 x 1); got ",
         a.shape_string(), " and ", b.shape_string(), ".");
  }
  if (y.count() != a.shape(0)) {
    Fail("needs one similarity label per pair: the features are ",
         a.shape_string(), " but the labels are ", y.shape_string(), ".");
  }
  diff_.ReshapeLike(a);
  dist_sq_.assign(a.shape(0), 0.f);
}

void ContrastiveLossLayer::Forward_cpu(const std::vector<Blob*>& bottom,
                                       const std::vector<Blob*>& top) {
  const ContrastiveLossParameter& p = layer_param_.contrastive_loss_param();
  const int num = bottom[0]->shape(0);
  const int channels = bottom[0]->count(1);
  cpu_sub(bottom[0]->count(), bottom[0]->cpu_data(), bottom[1]->cpu_data(),
          diff_.mutable_cpu_data());
  const float* d = diff_.cpu_data();
  const float* y = bottom[2]->cpu_data();
  float loss = 0.f;
  for (int i = 0; i < num; ++i) {
    dist_sq_[i] = cpu_dot(channels, d + i * channels, d + i * channels);
    if (static_cast<int>(y[i]) != 0) {  // similar pair
      loss += dist_sq_[i];
    } else if (p.legacy_version()) {
      loss += std::max(p.margin() - dist_sq_[i], 0.f);
    } else {
      const float gap = std::max(p.margin() - std::sqrt(dist_sq_[i]), 0.f);
      loss += gap * gap;
    }
  }
  top[0]->mutable_cpu_data()[0] = loss / num / 2.f;
}

void ContrastiveLossLayer::Backward_cpu(const std::vector<Blob*>& top,
                                        const std::vector<bool>& propagate_down,
                                        const std::vector<Blob*>& bottom) {
  if (propagate_down[2]) {
    Fail("cannot backpropagate to the similarity labels (bottom[2]).");
  }
  const ContrastiveLossParameter& p = layer_param_.contrastive_loss_param();
  const int num = bottom[0]->shape(0);
  const int channels = bottom[0]->count(1);
  const float* d = diff_.cpu_data();
  const float* y = bottom[2]->cpu_data();
  for (int k = 0; k < 2; ++k) {
    if (!propagate_down[k]) continue;
    const float alpha = (k == 0 ? 1.f : -1.f) * top[0]->cpu_diff()[0] / num;
    float* out = bottom[k]->mutable_cpu_diff();
    for (int i = 0; i < num; ++i) {
      float* row = out + i * channels;
      const float* di = d + i * channels;
      float beta = 0.f;
      if (static_cast<int>(y[i]) != 0) {
        beta = alpha;
      } else if (p.legacy_version()) {
        beta = p.margin() - dist_sq_[i] > 0.f ? -alpha : 0.f;
      } else {
        // As in Caffe, a small constant keeps the division finite at d = 0.
        const float dist = std::sqrt(dist_sq_[i]);
        const float gap = p.margin() - dist;
        beta = gap > 0.f ? -alpha * gap / (dist + 1e-4f) : 0.f;
      }
      cpu_scale(channels, beta, di, row);
    }
  }
}

CREMA_REGISTER_LAYER("ContrastiveLoss", ContrastiveLossLayer);

}  // namespace crema
