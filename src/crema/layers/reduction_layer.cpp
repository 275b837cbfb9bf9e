#include "crema/layers/reduction_layer.hpp"

#include <cmath>

#include "crema/layer_registry.hpp"

namespace crema {

void ReductionLayer::LayerSetUp(const std::vector<Blob*>& bottom,
                                const std::vector<Blob*>& top) {
  op_ = layer_param_.reduction_param().operation();
}

void ReductionLayer::Reshape(const std::vector<Blob*>& bottom,
                             const std::vector<Blob*>& top) {
  try {
    axis_ = bottom[0]->CanonicalAxisIndex(layer_param_.reduction_param().axis());
  } catch (const Error& e) {
    Fail("reduction_param.axis: ", e.what());
  }
  // The axes before `axis` remain; axis 0 gives a scalar.
  top[0]->Reshape(std::vector<int>(bottom[0]->shape().begin(),
                                   bottom[0]->shape().begin() + axis_));
  num_ = bottom[0]->count(0, axis_);
  dim_ = bottom[0]->count(axis_);
  coeff_ = layer_param_.reduction_param().coeff();
  if (op_ == ReductionParameter::MEAN && dim_ > 0) coeff_ /= dim_;
}

void ReductionLayer::Forward_cpu(const std::vector<Blob*>& bottom,
                                 const std::vector<Blob*>& top) {
  const float* x = bottom[0]->cpu_data();
  float* y = top[0]->mutable_cpu_data();
  for (int i = 0; i < num_; ++i) {
    const float* row = x + i * dim_;
    float sum = 0.f;
    switch (op_) {
      case ReductionParameter::SUM:
      case ReductionParameter::MEAN:
        for (int j = 0; j < dim_; ++j) sum += row[j];
        break;
      case ReductionParameter::ASUM:
        for (int j = 0; j < dim_; ++j) sum += std::fabs(row[j]);
        break;
      case ReductionParameter::SUMSQ:
        for (int j = 0; j < dim_; ++j) sum += row[j] * row[j];
        break;
    }
    y[i] = coeff_ * sum;
  }
}

void ReductionLayer::Backward_cpu(const std::vector<Blob*>& top,
                                  const std::vector<bool>& propagate_down,
                                  const std::vector<Blob*>& bottom) {
  if (!propagate_down[0]) return;
  const float* x = bottom[0]->cpu_data();
  const float* top_diff = top[0]->cpu_diff();
  float* bottom_diff = bottom[0]->mutable_cpu_diff();
  for (int i = 0; i < num_; ++i) {
    const float* row = x + i * dim_;
    float* dx = bottom_diff + i * dim_;
    const float g = coeff_ * top_diff[i];
    switch (op_) {
      case ReductionParameter::SUM:
      case ReductionParameter::MEAN:
        for (int j = 0; j < dim_; ++j) dx[j] = g;
        break;
      case ReductionParameter::ASUM:
        for (int j = 0; j < dim_; ++j) {
          dx[j] = row[j] > 0.f ? g : (row[j] < 0.f ? -g : 0.f);
        }
        break;
      case ReductionParameter::SUMSQ:
        for (int j = 0; j < dim_; ++j) dx[j] = 2.f * g * row[j];
        break;
    }
  }
}

CREMA_REGISTER_LAYER("Reduction", ReductionLayer);

}  // namespace crema
