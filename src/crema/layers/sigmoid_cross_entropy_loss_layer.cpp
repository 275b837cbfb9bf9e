#include "crema/layers/sigmoid_cross_entropy_loss_layer.hpp"

#include <algorithm>
#include <cmath>

#include "crema/layer_registry.hpp"
#include "crema/math/math_functions.hpp"

namespace crema {

void SigmoidCrossEntropyLossLayer::LayerSetUp(const std::vector<Blob*>& bottom,
                                              const std::vector<Blob*>& top) {
  LossLayer::LayerSetUp(bottom, top);
  const LossParameter& p = layer_param_.loss_param();
  has_ignore_label_ = p.has_ignore_label();
  ignore_label_ = p.ignore_label();
  // Unlike SoftmaxWithLoss, Caffe keeps BATCH_SIZE as this layer's default.
  normalization_ = ReadNormalization(LossParameter::BATCH_SIZE);
}

void SigmoidCrossEntropyLossLayer::Reshape(const std::vector<Blob*>& bottom,
                                           const std::vector<Blob*>& top) {
  LossLayer::Reshape(bottom, top);
  if (bottom[0]->count() != bottom[1]->count()) {
    Fail("the scores ", bottom[0]->shape_string(), " and the targets ",
         bottom[1]->shape_string(), " must have the same number of values.");
  }
  outer_num_ = bottom[0]->shape(0);
  inner_num_ = bottom[0]->count(1);
  sigmoid_.ReshapeLike(*bottom[0]);
}

void SigmoidCrossEntropyLossLayer::Forward_cpu(const std::vector<Blob*>& bottom,
                                               const std::vector<Blob*>& top) {
  const int count = bottom[0]->count();
  const float* x = bottom[0]->cpu_data();
  const float* target = bottom[1]->cpu_data();
  float* s = sigmoid_.mutable_cpu_data();
  float loss = 0.f;
  int valid = 0;
  for (int i = 0; i < count; ++i) {
    s[i] = 1.f / (1.f + std::exp(-x[i]));
    if (has_ignore_label_ && static_cast<int>(target[i]) == ignore_label_) continue;
    // -[t log s + (1 - t) log(1 - s)] = max(x, 0) - t x + log(1 + exp(-|x|)).
    loss += std::max(x[i], 0.f) - target[i] * x[i] + std::log1p(std::exp(-std::fabs(x[i])));
    ++valid;
  }
  normalizer_ = GetNormalizer(normalization_, outer_num_, inner_num_, valid);
  top[0]->mutable_cpu_data()[0] = loss / normalizer_;
}

void SigmoidCrossEntropyLossLayer::Backward_cpu(const std::vector<Blob*>& top,
                                                const std::vector<bool>& propagate_down,
                                                const std::vector<Blob*>& bottom) {
  if (propagate_down[1]) {
    Fail("cannot backpropagate to the targets (bottom[1]).");
  }
  if (!propagate_down[0]) return;
  const int count = bottom[0]->count();
  const float* s = sigmoid_.cpu_data();
  const float* target = bottom[1]->cpu_data();
  float* bottom_diff = bottom[0]->mutable_cpu_diff();
  const float scale = top[0]->cpu_diff()[0] / normalizer_;
  for (int i = 0; i < count; ++i) {
    const bool ignored =
        has_ignore_label_ && static_cast<int>(target[i]) == ignore_label_;
    bottom_diff[i] = ignored ? 0.f : scale * (s[i] - target[i]);
  }
}

CREMA_REGISTER_LAYER("SigmoidCrossEntropyLoss", SigmoidCrossEntropyLossLayer);

}  // namespace crema
