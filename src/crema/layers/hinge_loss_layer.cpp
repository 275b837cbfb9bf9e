#include "crema/layers/hinge_loss_layer.hpp"

#include <algorithm>

#include "crema/layer_registry.hpp"

namespace crema {

void HingeLossLayer::Reshape(const std::vector<Blob*>& bottom,
                             const std::vector<Blob*>& top) {
  LossLayer::Reshape(bottom, top);
  if (bottom[1]->count() != bottom[0]->shape(0)) {
    Fail("needs one label per item: the scores are ", bottom[0]->shape_string(),
         " but the labels are ", bottom[1]->shape_string(), ".");
  }
  margins_.ReshapeLike(*bottom[0]);
}

int HingeLossLayer::LabelAt(const float* label, int i, int dim) const {
  const int value = static_cast<int>(label[i]);
  if (value < 0 || value >= dim) {
    Fail("label ", label[i], " of item ", i, " is out of range: the scores have ",
         dim, " classes, so labels must be in [0, ", dim - 1, "].");
  }
  return value;
}

void HingeLossLayer::Forward_cpu(const std::vector<Blob*>& bottom,
                                 const std::vector<Blob*>& top) {
  const int num = bottom[0]->shape(0);
  const int dim = bottom[0]->count() / num;
  const float* x = bottom[0]->cpu_data();
  const float* label = bottom[1]->cpu_data();
  float* margin = margins_.mutable_cpu_data();
  for (int i = 0; i < num; ++i) {
    const int l = LabelAt(label, i, dim);
    for (int j = 0; j < dim; ++j) {
      const float t = j == l ? 1.f : -1.f;
      margin[i * dim + j] = std::max(0.f, 1.f - t * x[i * dim + j]);
    }
  }
  float loss = 0.f;
  const bool l2 = layer_param_.hinge_loss_param().norm() == HingeLossParameter::L2;
  for (int k = 0; k < num * dim; ++k) loss += l2 ? margin[k] * margin[k] : margin[k];
  top[0]->mutable_cpu_data()[0] = loss / num;
}

void HingeLossLayer::Backward_cpu(const std::vector<Blob*>& top,
                                  const std::vector<bool>& propagate_down,
                                  const std::vector<Blob*>& bottom) {
  if (propagate_down[1]) {
    Fail("cannot backpropagate to the labels (bottom[1]).");
  }
  if (!propagate_down[0]) return;
  const int num = bottom[0]->shape(0);
  const int dim = bottom[0]->count() / num;
  const float* label = bottom[1]->cpu_data();
  const float* margin = margins_.cpu_data();
  float* bottom_diff = bottom[0]->mutable_cpu_diff();
  const float scale = top[0]->cpu_diff()[0] / num;
  const bool l2 = layer_param_.hinge_loss_param().norm() == HingeLossParameter::L2;
  for (int i = 0; i < num; ++i) {
    const int l = LabelAt(label, i, dim);
    for (int j = 0; j < dim; ++j) {
      // d/dx max(0, 1 - t x) = -t where the margin is positive.
      const float m = margin[i * dim + j];
      const float t = j == l ? 1.f : -1.f;
      const float g = l2 ? 2.f * m : (m > 0.f ? 1.f : 0.f);
      bottom_diff[i * dim + j] = -t * g * scale;
    }
  }
}

CREMA_REGISTER_LAYER("HingeLoss", HingeLossLayer);

}  // namespace crema
