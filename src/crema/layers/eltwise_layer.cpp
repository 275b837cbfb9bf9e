#include "crema/layers/eltwise_layer.hpp"

#include "crema/layer_registry.hpp"
#include "crema/math/math_functions.hpp"

namespace crema {

void EltwiseLayer::LayerSetUp(const std::vector<Blob*>& bottom,
                              const std::vector<Blob*>& top) {
  const EltwiseParameter& param = layer_param_.eltwise_param();
  op_ = param.operation();
  if (param.coeff_size() != 0 && param.coeff_size() != static_cast<int>(bottom.size())) {
    Fail("has ", bottom.size(), " bottoms but ", param.coeff_size(),
         " coeff values; give one coeff per bottom or none.");
  }
  // As in Caffe, MAX ignores coefficients and PROD rejects them.
  if (param.coeff_size() != 0 && op_ == EltwiseParameter::PROD) {
    Fail("coeff is only meaningful for operation SUM, not PROD.");
  }
  coeffs_.assign(bottom.size(), 1.f);
  for (int i = 0; i < param.coeff_size(); ++i) coeffs_[i] = param.coeff(i);
  stable_prod_grad_ = param.stable_prod_grad();
}

void EltwiseLayer::Reshape(const std::vector<Blob*>& bottom,
                           const std::vector<Blob*>& top) {
  for (size_t i = 1; i < bottom.size(); ++i) {
    if (bottom[i]->shape() != bottom[0]->shape()) {
      Fail("all bottoms must have the same shape; bottom[0] is ",
           bottom[0]->shape_string(), " but bottom[", i, "] is ",
           bottom[i]->shape_string(), ".");
    }
  }
  top[0]->ReshapeLike(*bottom[0]);
  if (op_ == EltwiseParameter::MAX) max_index_.resize(bottom[0]->count());
}

void EltwiseLayer::Forward_cpu(const std::vector<Blob*>& bottom,
                               const std::vector<Blob*>& top) {
  const int count = top[0]->count();
  float* top_data = top[0]->mutable_cpu_data();
  switch (op_) {
    case EltwiseParameter::PROD:
      cpu_mul(count, bottom[0]->cpu_data(), bottom[1]->cpu_data(), top_data);
      for (size_t i = 2; i < bottom.size(); ++i) {
        cpu_mul(count, top_data, bottom[i]->cpu_data(), top_data);
      }
      break;
    case EltwiseParameter::SUM:
      cpu_zero(count, top_data);
      for (size_t i = 0; i < bottom.size(); ++i) {
        cpu_axpy(count, coeffs_[i], bottom[i]->cpu_data(), top_data);
      }
      break;
    case EltwiseParameter::MAX: {
      // As in Caffe: a tie between bottoms 0 and 1 goes to bottom 1; a later
      // bottom wins only when strictly larger.
      const float* a = bottom[0]->cpu_data();
      const float* b = bottom[1]->cpu_data();
      for (int j = 0; j < count; ++j) {
        const bool first = a[j] > b[j];
        top_data[j] = first ? a[j] : b[j];
        max_index_[j] = first ? 0 : 1;
      }
      for (size_t i = 2; i < bottom.size(); ++i) {
        const float* x = bottom[i]->cpu_data();
        for (int j = 0; j < count; ++j) {
          if (x[j] > top_data[j]) {
            top_data[j] = x[j];
            max_index_[j] = static_cast<int>(i);
          }
        }
      }
      break;
    }
  }
}

void EltwiseLayer::Backward_cpu(const std::vector<Blob*>& top,
                                const std::vector<bool>& propagate_down,
                                const std::vector<Blob*>& bottom) {
  const int count = top[0]->count();
  const float* top_data = top[0]->cpu_data();
  const float* top_diff = top[0]->cpu_diff();
  for (size_t i = 0; i < bottom.size(); ++i) {
    if (!propagate_down[i]) continue;
    float* bottom_diff = bottom[i]->mutable_cpu_diff();
    switch (op_) {
      case EltwiseParameter::PROD:
        if (stable_prod_grad_) {
          // The product of the other bottoms.
          cpu_set(count, 1.f, bottom_diff);
          for (size_t j = 0; j < bottom.size(); ++j) {
            if (j != i) cpu_mul(count, bottom_diff, bottom[j]->cpu_data(), bottom_diff);
          }
        } else {
          // top / this bottom: faster, but wrong where the bottom is zero.
          cpu_div(count, top_data, bottom[i]->cpu_data(), bottom_diff);
        }
        cpu_mul(count, bottom_diff, top_diff, bottom_diff);
        break;
      case EltwiseParameter::SUM:
        cpu_scale(count, coeffs_[i], top_diff, bottom_diff);
        break;
      case EltwiseParameter::MAX:
        for (int j = 0; j < count; ++j) {
          bottom_diff[j] = max_index_[j] == static_cast<int>(i) ? top_diff[j] : 0.f;
        }
        break;
    }
  }
}

CREMA_REGISTER_LAYER("Eltwise", EltwiseLayer);

}  // namespace crema
