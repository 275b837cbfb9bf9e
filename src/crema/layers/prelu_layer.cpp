#include "crema/layers/prelu_layer.hpp"

#include <algorithm>
#include <memory>

#include "crema/filler.hpp"
#include "crema/layer_registry.hpp"
#include "crema/math/math_functions.hpp"

namespace crema {

void PReLULayer::LayerSetUp(const std::vector<Blob*>& bottom,
                            const std::vector<Blob*>& top) {
  if (bottom[0]->num_axes() < 2) {
    Fail("needs an input with at least 2 axes (N, C, ...); got ",
         bottom[0]->shape_string(), ".");
  }
  const PReLUParameter& p = layer_param_.prelu_param();
  channel_shared_ = p.channel_shared();
  const int channels = bottom[0]->shape(1);
  if (blobs_.empty()) {
    blobs_.push_back(std::make_shared<Blob>());
    if (channel_shared_) {
      blobs_[0]->Reshape(std::vector<int>{});
    } else {
      blobs_[0]->Reshape(std::vector<int>{channels});
    }
    FillerParameter filler_param;
    if (p.has_filler()) {
      filler_param = p.filler();
    } else {
      filler_param.set_type("constant");
      filler_param.set_value(0.25f);
    }
    GetFiller(filler_param)->Fill(blobs_[0].get());
  }
  const int expected = channel_shared_ ? 1 : channels;
  if (blobs_[0]->count() != expected) {
    Fail("the slope blob has shape ", blobs_[0]->shape_string(), " but ",
         channel_shared_ ? "a shared slope needs 1 value"
                         : StrCat("the input ", bottom[0]->shape_string(),
                                  " has ", channels, " channels"),
         ".");
  }
  param_propagate_down_.assign(blobs_.size(), true);
}

void PReLULayer::Reshape(const std::vector<Blob*>& bottom,
                         const std::vector<Blob*>& top) {
  if (bottom[0]->num_axes() < 2) {
    Fail("needs an input with at least 2 axes (N, C, ...); got ",
         bottom[0]->shape_string(), ".");
  }
  top[0]->ReshapeLike(*bottom[0]);
  if (top[0] == bottom[0]) bottom_copy_.ReshapeLike(*bottom[0]);
}

void PReLULayer::Forward_cpu(const std::vector<Blob*>& bottom,
                             const std::vector<Blob*>& top) {
  const int count = bottom[0]->count();
  const int dim = bottom[0]->count(2);
  const int channels = bottom[0]->shape(1);
  const int div_factor = channel_shared_ ? channels : 1;
  if (top[0] == bottom[0]) {
    cpu_copy(count, bottom[0]->cpu_data(), bottom_copy_.mutable_cpu_data());
  }
  const float* x = bottom[0]->cpu_data();
  const float* slope = blobs_[0]->cpu_data();
  float* y = top[0]->mutable_cpu_data();
  for (int i = 0; i < count; ++i) {
    const int c = (i / dim) % channels / div_factor;
    y[i] = std::max(x[i], 0.f) + slope[c] * std::min(x[i], 0.f);
  }
}

void PReLULayer::Backward_cpu(const std::vector<Blob*>& top,
                              const std::vector<bool>& propagate_down,
                              const std::vector<Blob*>& bottom) {
  const int count = bottom[0]->count();
  const int dim = bottom[0]->count(2);
  const int channels = bottom[0]->shape(1);
  const int div_factor = channel_shared_ ? channels : 1;
  const float* x =
      top[0] == bottom[0] ? bottom_copy_.cpu_data() : bottom[0]->cpu_data();
  const float* top_diff = top[0]->cpu_diff();
  // The slope gradient first: in place, the bottom diff below overwrites the
  // top diff.
  if (param_propagate_down(0)) {
    float* slope_diff = blobs_[0]->mutable_cpu_diff();
    for (int i = 0; i < count; ++i) {
      const int c = (i / dim) % channels / div_factor;
      if (x[i] <= 0.f) slope_diff[c] += top_diff[i] * x[i];
    }
  }
  if (propagate_down[0]) {
    const float* slope = blobs_[0]->cpu_data();
    float* bottom_diff = bottom[0]->mutable_cpu_diff();
    for (int i = 0; i < count; ++i) {
      const int c = (i / dim) % channels / div_factor;
      bottom_diff[i] = top_diff[i] * (x[i] > 0.f ? 1.f : slope[c]);
    }
  }
}

CREMA_REGISTER_LAYER("PReLU", PReLULayer);

}  // namespace crema
