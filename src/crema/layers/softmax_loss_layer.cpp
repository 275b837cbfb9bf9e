#include "crema/layers/softmax_loss_layer.hpp"

#include <algorithm>
#include <cfloat>
#include <cmath>

#include "crema/layer_registry.hpp"
#include "crema/math/math_functions.hpp"

namespace crema {

void SoftmaxWithLossLayer::LayerSetUp(const std::vector<Blob*>& bottom,
                                      const std::vector<Blob*>& top) {
  LossLayer::LayerSetUp(bottom, top);
  // The probabilities come from an ordinary Softmax layer (whichever engine
  // the registry picks), sharing this layer's softmax_param.
  LayerParameter softmax_param;
  softmax_param.set_name(layer_param_.name() + "/softmax");
  softmax_param.set_type("Softmax");
  softmax_param.set_phase(layer_param_.phase());
  *softmax_param.mutable_softmax_param() = layer_param_.softmax_param();
  softmax_layer_ = LayerRegistry::Create(softmax_param);
  softmax_bottom_ = {bottom[0]};
  softmax_top_ = {&prob_};
  softmax_layer_->SetUp(softmax_bottom_, softmax_top_);

  const LossParameter& loss_param = layer_param_.loss_param();
  has_ignore_label_ = loss_param.has_ignore_label();
  ignore_label_ = loss_param.ignore_label();
  normalization_ = ReadNormalization(LossParameter::VALID);
}

void SoftmaxWithLossLayer::Reshape(const std::vector<Blob*>& bottom,
                                   const std::vector<Blob*>& top) {
  LossLayer::Reshape(bottom, top);
  softmax_layer_->Reshape(softmax_bottom_, softmax_top_);
  try {
    axis_ = bottom[0]->CanonicalAxisIndex(layer_param_.softmax_param().axis());
  } catch (const Error& e) {
    Fail("softmax_param.axis: ", e.what());
  }
  outer_num_ = bottom[0]->count(0, axis_);
  inner_num_ = bottom[0]->count(axis_ + 1);
  if (outer_num_ * inner_num_ != bottom[1]->count()) {
    Fail("the number of labels must match the number of predictions: with "
         "softmax axis ", axis_, " the scores ", bottom[0]->shape_string(),
         " need ", outer_num_ * inner_num_, " labels, but the label blob is ",
         bottom[1]->shape_string(), ".");
  }
  if (top.size() >= 2) top[1]->ReshapeLike(*bottom[0]);
}

int SoftmaxWithLossLayer::LabelAt(const float* label, int index) const {
  const int value = static_cast<int>(label[index]);
  const int channels = prob_.shape(axis_);
  if (value < 0 || value >= channels) {
    Fail("label ", value, " at position ", index, " of the label blob is out of "
         "range: the scores have ", channels, " classes, so labels must be in [0, ",
         channels - 1, "]", has_ignore_label_ ? " or equal ignore_label" : "", ".");
  }
  return value;
}

void SoftmaxWithLossLayer::Forward_cpu(const std::vector<Blob*>& bottom,
                                       const std::vector<Blob*>& top) {
  softmax_layer_->Forward(softmax_bottom_, softmax_top_);
  const float* prob = prob_.cpu_data();
  const float* label = bottom[1]->cpu_data();
  const int dim = prob_.count() / outer_num_;
  float loss = 0.f;
  int count = 0;
  for (int i = 0; i < outer_num_; ++i) {
    for (int j = 0; j < inner_num_; ++j) {
      const float raw = label[i * inner_num_ + j];
      if (has_ignore_label_ && static_cast<int>(raw) == ignore_label_) continue;
      const int value = LabelAt(label, i * inner_num_ + j);
      loss -= std::log(std::max(prob[i * dim + value * inner_num_ + j], FLT_MIN));
      ++count;
    }
  }
  top[0]->mutable_cpu_data()[0] = loss / GetNormalizer(normalization_, outer_num_, inner_num_, count);
  if (top.size() == 2) top[1]->ShareData(prob_);
}

void SoftmaxWithLossLayer::Backward_cpu(const std::vector<Blob*>& top,
                                        const std::vector<bool>& propagate_down,
                                        const std::vector<Blob*>& bottom) {
  if (propagate_down[1]) {
    Fail("cannot backpropagate to the label input (bottom[1]).");
  }
  if (!propagate_down[0]) return;
  // d loss / d x = prob - onehot(label), zero at ignored positions.
  float* bottom_diff = bottom[0]->mutable_cpu_diff();
  const float* label = bottom[1]->cpu_data();
  cpu_copy(prob_.count(), prob_.cpu_data(), bottom_diff);
  const int dim = prob_.count() / outer_num_;
  const int channels = prob_.shape(axis_);
  int count = 0;
  for (int i = 0; i < outer_num_; ++i) {
    for (int j = 0; j < inner_num_; ++j) {
      const float raw = label[i * inner_num_ + j];
      if (has_ignore_label_ && static_cast<int>(raw) == ignore_label_) {
        for (int c = 0; c < channels; ++c) bottom_diff[i * dim + c * inner_num_ + j] = 0.f;
        continue;
      }
      const int value = LabelAt(label, i * inner_num_ + j);
      bottom_diff[i * dim + value * inner_num_ + j] -= 1.f;
      ++count;
    }
  }
  const float loss_weight = top[0]->cpu_diff()[0] /
      GetNormalizer(normalization_, outer_num_, inner_num_, count);
  cpu_scal(prob_.count(), loss_weight, bottom_diff);
}

CREMA_REGISTER_LAYER("SoftmaxWithLoss", SoftmaxWithLossLayer);

}  // namespace crema
