#include "crema/layers/multinomial_logistic_loss_layer.hpp"

#include <algorithm>
#include <cmath>

#include "crema/layer_registry.hpp"
#include "crema/math/math_functions.hpp"

namespace crema {

namespace {
constexpr float kLogThreshold = 1e-20f;
}  // namespace

void MultinomialLogisticLossLayer::Reshape(const std::vector<Blob*>& bottom,
                                           const std::vector<Blob*>& top) {
  LossLayer::Reshape(bottom, top);
  if (bottom[1]->count() != bottom[0]->shape(0)) {
    Fail("needs one label per item: the probabilities are ",
         bottom[0]->shape_string(), " but the labels are ",
         bottom[1]->shape_string(), ".");
  }
}

int MultinomialLogisticLossLayer::LabelAt(const float* label, int i, int dim) const {
  const int value = static_cast<int>(label[i]);
  if (value < 0 || value >= dim) {
    Fail("label ", label[i], " of item ", i, " is out of range: the input has ",
         dim, " classes, so labels must be in [0, ", dim - 1, "].");
  }
  return value;
}

void MultinomialLogisticLossLayer::Forward_cpu(const std::vector<Blob*>& bottom,
                                               const std::vector<Blob*>& top) {
  const int num = bottom[0]->shape(0);
  const int dim = bottom[0]->count() / num;
  const float* prob = bottom[0]->cpu_data();
  const float* label = bottom[1]->cpu_data();
  float loss = 0.f;
  for (int i = 0; i < num; ++i) {
    const int l = LabelAt(label, i, dim);
    loss -= std::log(std::max(prob[i * dim + l], kLogThreshold));
  }
  top[0]->mutable_cpu_data()[0] = loss / num;
}

void MultinomialLogisticLossLayer::Backward_cpu(const std::vector<Blob*>& top,
                                                const std::vector<bool>& propagate_down,
                                                const std::vector<Blob*>& bottom) {
  if (propagate_down[1]) {
    Fail("cannot backpropagate to the labels (bottom[1]).");
  }
  if (!propagate_down[0]) return;
  const int num = bottom[0]->shape(0);
  const int dim = bottom[0]->count() / num;
  const float* prob = bottom[0]->cpu_data();
  const float* label = bottom[1]->cpu_data();
  float* bottom_diff = bottom[0]->mutable_cpu_diff();
  cpu_zero(bottom[0]->count(), bottom_diff);
  const float scale = -top[0]->cpu_diff()[0] / num;
  for (int i = 0; i < num; ++i) {
    const int l = LabelAt(label, i, dim);
    bottom_diff[i * dim + l] = scale / std::max(prob[i * dim + l], kLogThreshold);
  }
}

CREMA_REGISTER_LAYER("MultinomialLogisticLoss", MultinomialLogisticLossLayer);

}  // namespace crema
