#include "crema/layers/dropout_layer.hpp"

#include "crema/layer_registry.hpp"
#include "crema/math/math_functions.hpp"

namespace crema {

void DropoutLayer::LayerSetUp(const std::vector<Blob*>& bottom,
                              const std::vector<Blob*>& top) {
  ratio_ = layer_param_.dropout_param().dropout_ratio();
  if (!(ratio_ >= 0.f && ratio_ < 1.f)) {
    Fail("dropout_ratio must be in [0, 1), got ", ratio_, ".");
  }
  scale_ = 1.f / (1.f - ratio_);
}

void DropoutLayer::Reshape(const std::vector<Blob*>& bottom,
                           const std::vector<Blob*>& top) {
  NeuronLayer::Reshape(bottom, top);
  mask_.resize(bottom[0]->count());
}

void DropoutLayer::Forward_cpu(const std::vector<Blob*>& bottom,
                               const std::vector<Blob*>& top) {
  const int count = bottom[0]->count();
  const float* x = bottom[0]->cpu_data();
  float* y = top[0]->mutable_cpu_data();
  if (phase_ != TRAIN) {
    if (bottom[0] != top[0]) cpu_copy(count, x, y);
    return;
  }
  rng_bernoulli(count, 1.f - ratio_, mask_.data());
  for (int i = 0; i < count; ++i) y[i] = x[i] * mask_[i] * scale_;
}

void DropoutLayer::Backward_cpu(const std::vector<Blob*>& top,
                                const std::vector<bool>& propagate_down,
                                const std::vector<Blob*>& bottom) {
  if (!propagate_down[0]) return;
  const int count = top[0]->count();
  const float* top_diff = top[0]->cpu_diff();
  float* bottom_diff = bottom[0]->mutable_cpu_diff();
  if (phase_ != TRAIN) {
    if (bottom[0] != top[0]) cpu_copy(count, top_diff, bottom_diff);
    return;
  }
  for (int i = 0; i < count; ++i) bottom_diff[i] = top_diff[i] * mask_[i] * scale_;
}

CREMA_REGISTER_LAYER("Dropout", DropoutLayer);

}  // namespace crema
