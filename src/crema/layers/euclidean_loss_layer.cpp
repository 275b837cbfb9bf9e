#include "crema/layers/euclidean_loss_layer.hpp"

#include "crema/layer_registry.hpp"
#include "crema/math/math_functions.hpp"

namespace crema {

void EuclideanLossLayer::Reshape(const std::vector<Blob*>& bottom,
                                 const std::vector<Blob*>& top) {
  LossLayer::Reshape(bottom, top);
  if (bottom[0]->count(1) != bottom[1]->count(1)) {
    Fail("the two inputs must have the same number of values per item; got ",
         bottom[0]->shape_string(), " and ", bottom[1]->shape_string(), ".");
  }
  diff_.ReshapeLike(*bottom[0]);
}

void EuclideanLossLayer::Forward_cpu(const std::vector<Blob*>& bottom,
                                     const std::vector<Blob*>& top) {
  const int count = bottom[0]->count();
  cpu_sub(count, bottom[0]->cpu_data(), bottom[1]->cpu_data(),
          diff_.mutable_cpu_data());
  const float dot = cpu_dot(count, diff_.cpu_data(), diff_.cpu_data());
  top[0]->mutable_cpu_data()[0] = dot / bottom[0]->shape(0) / 2.f;
}

void EuclideanLossLayer::Backward_cpu(const std::vector<Blob*>& top,
                                      const std::vector<bool>& propagate_down,
                                      const std::vector<Blob*>& bottom) {
  for (int i = 0; i < 2; ++i) {
    if (!propagate_down[i]) continue;
    const float sign = i == 0 ? 1.f : -1.f;
    const float alpha = sign * top[0]->cpu_diff()[0] / bottom[i]->shape(0);
    cpu_scale(bottom[i]->count(), alpha, diff_.cpu_data(),
              bottom[i]->mutable_cpu_diff());
  }
}

CREMA_REGISTER_LAYER("EuclideanLoss", EuclideanLossLayer);

}  // namespace crema
