#include "crema/layers/infogain_loss_layer.hpp"

#include <algorithm>
#include <cmath>

#include "crema/io/proto_io.hpp"
#include "crema/layer_registry.hpp"
#include "crema/math/math_functions.hpp"

namespace crema {

namespace {
constexpr float kLogThreshold = 1e-20f;
}  // namespace

void InfogainLossLayer::LayerSetUp(const std::vector<Blob*>& bottom,
                                   const std::vector<Blob*>& top) {
  LossLayer::LayerSetUp(bottom, top);
  // Probabilities from an ordinary Softmax layer over the infogain axis.
  LayerParameter softmax_param;
  softmax_param.set_name(layer_param_.name() + "/softmax");
  softmax_param.set_type("Softmax");
  softmax_param.set_phase(layer_param_.phase());
  softmax_param.mutable_softmax_param()->set_axis(
      layer_param_.infogain_loss_param().axis());
  softmax_layer_ = LayerRegistry::Create(softmax_param);
  softmax_bottom_ = {bottom[0]};
  softmax_top_ = {&prob_};
  softmax_layer_->SetUp(softmax_bottom_, softmax_top_);

  const LossParameter& loss_param = layer_param_.loss_param();
  has_ignore_label_ = loss_param.has_ignore_label();
  ignore_label_ = loss_param.ignore_label();
  if (loss_param.has_normalize()) {
    Fail("loss_param.normalize is not supported by InfogainLoss (as in Caffe); "
         "use loss_param.normalization.");
  }
  normalization_ = ReadNormalization(LossParameter::VALID);

  if (bottom.size() < 3) {
    const InfogainLossParameter& p = layer_param_.infogain_loss_param();
    if (!p.has_source()) {
      Fail("needs the infogain matrix H: give infogain_loss_param.source (a "
           "binary BlobProto file) or a third bottom.");
    }
    BlobProto proto;
    try {
      ReadProtoFromBinaryFile(p.source(), &proto);
    } catch (const Error& e) {
      Fail("cannot read the infogain matrix: ", e.what());
    }
    infogain_.FromProto(proto);
  }
}

void InfogainLossLayer::Reshape(const std::vector<Blob*>& bottom,
                                const std::vector<Blob*>& top) {
  LossLayer::Reshape(bottom, top);
  softmax_layer_->Reshape(softmax_bottom_, softmax_top_);
  try {
    axis_ = bottom[0]->CanonicalAxisIndex(layer_param_.infogain_loss_param().axis());
  } catch (const Error& e) {
    Fail("infogain_loss_param.axis: ", e.what());
  }
  outer_num_ = bottom[0]->count(0, axis_);
  inner_num_ = bottom[0]->count(axis_ + 1);
  num_labels_ = bottom[0]->shape(axis_);
  if (outer_num_ * inner_num_ != bottom[1]->count()) {
    Fail("the number of labels must match the number of predictions: with "
         "axis ", axis_, " the scores ", bottom[0]->shape_string(), " need ",
         outer_num_ * inner_num_, " labels, but the label blob is ",
         bottom[1]->shape_string(), ".");
  }
  const Blob& h = Infogain(bottom);
  if (h.count() != num_labels_ * num_labels_) {
    Fail("the infogain matrix ", h.shape_string(), " must have ", num_labels_,
         " x ", num_labels_, " entries for the ", num_labels_,
         " classes of the scores ", bottom[0]->shape_string(), ".");
  }
  if (top.size() >= 2) top[1]->ReshapeLike(*bottom[0]);
}

const Blob& InfogainLossLayer::Infogain(const std::vector<Blob*>& bottom) const {
  return bottom.size() >= 3 ? *bottom[2] : infogain_;
}

int InfogainLossLayer::LabelAt(const float* label, int index) const {
  const int value = static_cast<int>(label[index]);
  if (value < 0 || value >= num_labels_) {
    Fail("label ", value, " at position ", index, " of the label blob is out of "
         "range: the scores have ", num_labels_, " classes, so labels must be in "
         "[0, ", num_labels_ - 1, "]", has_ignore_label_ ? " or equal ignore_label" : "",
         ".");
  }
  return value;
}

void InfogainLossLayer::Forward_cpu(const std::vector<Blob*>& bottom,
                                    const std::vector<Blob*>& top) {
  softmax_layer_->Forward(softmax_bottom_, softmax_top_);
  const float* prob = prob_.cpu_data();
  const float* label = bottom[1]->cpu_data();
  const float* h = Infogain(bottom).cpu_data();
  const int dim = num_labels_ * inner_num_;
  float loss = 0.f;
  int valid = 0;
  for (int i = 0; i < outer_num_; ++i) {
    for (int j = 0; j < inner_num_; ++j) {
      const int raw = static_cast<int>(label[i * inner_num_ + j]);
      if (has_ignore_label_ && raw == ignore_label_) continue;
      const int l = LabelAt(label, i * inner_num_ + j);
      for (int k = 0; k < num_labels_; ++k) {
        const float p = std::max(prob[i * dim + k * inner_num_ + j], kLogThreshold);
        loss -= h[l * num_labels_ + k] * std::log(p);
      }
      ++valid;
    }
  }
  top[0]->mutable_cpu_data()[0] = loss / GetNormalizer(normalization_, outer_num_, inner_num_, valid);
  if (top.size() == 2) top[1]->ShareData(prob_);
}

void InfogainLossLayer::Backward_cpu(const std::vector<Blob*>& top,
                                     const std::vector<bool>& propagate_down,
                                     const std::vector<Blob*>& bottom) {
  if (propagate_down[1]) {
    Fail("cannot backpropagate to the labels (bottom[1]).");
  }
  if (propagate_down.size() > 2 && propagate_down[2]) {
    Fail("cannot backpropagate to the infogain matrix (bottom[2]).");
  }
  if (!propagate_down[0]) return;
  const float* prob = prob_.cpu_data();
  const float* label = bottom[1]->cpu_data();
  const float* h = Infogain(bottom).cpu_data();
  float* bottom_diff = bottom[0]->mutable_cpu_diff();
  const int dim = num_labels_ * inner_num_;
  int valid = 0;
  for (int i = 0; i < outer_num_; ++i) {
    for (int j = 0; j < inner_num_; ++j) {
      const int raw = static_cast<int>(label[i * inner_num_ + j]);
      if (has_ignore_label_ && raw == ignore_label_) {
        for (int k = 0; k < num_labels_; ++k) bottom_diff[i * dim + k * inner_num_ + j] = 0.f;
        continue;
      }
      const int l = LabelAt(label, i * inner_num_ + j);
      // d/dx_k of -sum_m H[l][m] log p_m = p_k * sum_m H[l][m] - H[l][k].
      float row_sum = 0.f;
      for (int m = 0; m < num_labels_; ++m) row_sum += h[l * num_labels_ + m];
      for (int k = 0; k < num_labels_; ++k) {
        const int at = i * dim + k * inner_num_ + j;
        bottom_diff[at] = prob[at] * row_sum - h[l * num_labels_ + k];
      }
      ++valid;
    }
  }
  cpu_scal(bottom[0]->count(), top[0]->cpu_diff()[0] /
      GetNormalizer(normalization_, outer_num_, inner_num_, valid), bottom_diff);
}

CREMA_REGISTER_LAYER("InfogainLoss", InfogainLossLayer);

}  // namespace crema
