#include "crema/layer.hpp"

#include <glog/logging.h>

#include <algorithm>

#include "crema/layer_registry.hpp"
#include "crema/math/math_functions.hpp"

namespace crema {

Layer::Layer(const LayerParameter& param)
    : layer_param_(param),
      phase_(param.phase()),
      engine_(LayerRegistry::kReferenceEngine) {
  // Blobs stored in the parameter (weights from a model file) are loaded here.
  for (int i = 0; i < param.blobs_size(); ++i) {
    blobs_.push_back(std::make_shared<Blob>());
    blobs_.back()->FromProto(param.blobs(i));
  }
}

std::string Layer::Describe() const {
  return StrCat("layer '", layer_param_.name(), "' (", layer_param_.type(), ")");
}

std::string Layer::engine() const {
  return falls_back_ ? LayerRegistry::kReferenceEngine : engine_;
}

void Layer::ReportFallback(bool falls_back, const char* reason) {
  falls_back_ = falls_back;
  if (!falls_back || fallback_logged_) return;
  fallback_logged_ = true;
  LOG(INFO) << Describe() << " runs the reference engine ("
            << LayerRegistry::kReferenceEngine << ") instead of " << engine_
            << ": " << reason;
}

void Layer::SetUp(const std::vector<Blob*>& bottom,
                  const std::vector<Blob*>& top) {
  CheckBlobCounts(bottom, top);
  LayerSetUp(bottom, top);
  Reshape(bottom, top);
  SetLossWeights(top);
}

void Layer::CheckBlobCounts(const std::vector<Blob*>& bottom,
                            const std::vector<Blob*>& top) const {
  const int nb = static_cast<int>(bottom.size());
  const int nt = static_cast<int>(top.size());
  if (ExactNumBottomBlobs() >= 0 && nb != ExactNumBottomBlobs()) {
    Fail("takes ", ExactNumBottomBlobs(), " bottom blob(s) as input, got ", nb, ".");
  }
  if (MinBottomBlobs() >= 0 && nb < MinBottomBlobs()) {
    Fail("takes at least ", MinBottomBlobs(), " bottom blob(s) as input, got ", nb, ".");
  }
  if (MaxBottomBlobs() >= 0 && nb > MaxBottomBlobs()) {
    Fail("takes at most ", MaxBottomBlobs(), " bottom blob(s) as input, got ", nb, ".");
  }
  if (ExactNumTopBlobs() >= 0 && nt != ExactNumTopBlobs()) {
    Fail("produces ", ExactNumTopBlobs(), " top blob(s) as output, got ", nt, ".");
  }
  if (MinTopBlobs() >= 0 && nt < MinTopBlobs()) {
    Fail("produces at least ", MinTopBlobs(), " top blob(s) as output, got ", nt, ".");
  }
  if (MaxTopBlobs() >= 0 && nt > MaxTopBlobs()) {
    Fail("produces at most ", MaxTopBlobs(), " top blob(s) as output, got ", nt, ".");
  }
  if (EqualNumBottomTopBlobs() && nb != nt) {
    Fail("needs as many top blobs as bottom blobs; got ", nb, " bottom and ",
         nt, " top.");
  }
}

void Layer::SetLossWeights(const std::vector<Blob*>& top) {
  const int num_loss_weights = layer_param_.loss_weight_size();
  if (num_loss_weights == 0) return;
  if (num_loss_weights != static_cast<int>(top.size())) {
    Fail("has ", num_loss_weights, " loss_weight values but ", top.size(),
         " top blobs; give one loss_weight per top (0 for non-losses).");
  }
  for (int top_id = 0; top_id < static_cast<int>(top.size()); ++top_id) {
    const float loss_weight = layer_param_.loss_weight(top_id);
    if (loss_weight == 0.f) continue;
    set_loss(top_id, loss_weight);
    // The top's diff holds the loss weight so Backward scales by it.
    const int count = top[top_id]->count();
    cpu_set(count, loss_weight, top[top_id]->mutable_cpu_diff());
  }
}

void Layer::set_loss(int top_index, float value) {
  if (static_cast<int>(loss_.size()) <= top_index) loss_.resize(top_index + 1, 0.f);
  loss_[top_index] = value;
}

void Layer::set_param_propagate_down(int param_id, bool value) {
  if (static_cast<int>(param_propagate_down_.size()) <= param_id) {
    param_propagate_down_.resize(param_id + 1, true);
  }
  param_propagate_down_[param_id] = value;
}

float Layer::Forward(const std::vector<Blob*>& bottom,
                     const std::vector<Blob*>& top) {
  Reshape(bottom, top);
  PrepareForward(bottom, top);
  Forward_cpu(bottom, top);
  FinishPass(top, false);
  float loss = 0.f;
  for (int top_id = 0; top_id < static_cast<int>(top.size()); ++top_id) {
    if (this->loss(top_id) == 0.f) continue;
    top[top_id]->ToPlain();
    const int count = top[top_id]->count();
    loss += cpu_dot(count, top[top_id]->cpu_data(), top[top_id]->cpu_diff());
  }
  return loss;
}

void Layer::Backward(const std::vector<Blob*>& top,
                     const std::vector<bool>& propagate_down,
                     const std::vector<Blob*>& bottom) {
  PrepareBackward(top, bottom);
  Backward_cpu(top, propagate_down, bottom);
  FinishPass(bottom, true);
}

void Layer::ToProto(LayerParameter* param, bool write_diff) const {
  param->Clear();
  param->CopyFrom(layer_param_);
  param->clear_blobs();
  for (const auto& blob : blobs_) blob->ToPlain();  // weights an engine adopted
  for (const auto& blob : blobs_) blob->ToProto(param->add_blobs(), write_diff);
}

void LossLayer::LayerSetUp(const std::vector<Blob*>& bottom,
                           const std::vector<Blob*>& top) {
  // A loss layer's output counts toward the objective unless told otherwise.
  if (layer_param_.loss_weight_size() == 0) layer_param_.add_loss_weight(1.f);
}

void LossLayer::Reshape(const std::vector<Blob*>& bottom,
                        const std::vector<Blob*>& top) {
  if (bottom[0]->shape(0) != bottom[1]->shape(0)) {
    Fail("the data and label blobs must have the same first dimension (N); "
         "got ", bottom[0]->shape_string(), " and ", bottom[1]->shape_string(), ".");
  }
  top[0]->Reshape(std::vector<int>{});
}

LossParameter::NormalizationMode LossLayer::ReadNormalization(
    LossParameter::NormalizationMode default_mode) const {
  const LossParameter& param = layer_param_.loss_param();
  if (param.has_normalization()) return param.normalization();
  if (param.has_normalize()) {
    return param.normalize() ? LossParameter::VALID : LossParameter::BATCH_SIZE;
  }
  return default_mode;
}

float LossLayer::GetNormalizer(LossParameter::NormalizationMode mode,
                               int outer_num, int inner_num, int valid_count) {
  float normalizer = 1.f;
  switch (mode) {
    case LossParameter::FULL:
      normalizer = static_cast<float>(outer_num) * inner_num;
      break;
    case LossParameter::VALID:
      normalizer = valid_count == -1 ? static_cast<float>(outer_num) * inner_num
                                     : static_cast<float>(valid_count);
      break;
    case LossParameter::BATCH_SIZE:
      normalizer = static_cast<float>(outer_num);
      break;
    case LossParameter::NONE:
      normalizer = 1.f;
      break;
  }
  return std::max(1.f, normalizer);
}

void NeuronLayer::Reshape(const std::vector<Blob*>& bottom,
                          const std::vector<Blob*>& top) {
  top[0]->ReshapeLike(*bottom[0]);
}

}  // namespace crema
