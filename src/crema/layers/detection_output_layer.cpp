#include "crema/layers/detection_output_layer.hpp"

#include <algorithm>
#include <cfloat>
#include <tuple>

#include "crema/layer_registry.hpp"
#include "crema/math/math_functions.hpp"

namespace crema {

void DetectionOutputLayer::LayerSetUp(const std::vector<Blob*>& bottom,
                                      const std::vector<Blob*>& top) {
  const DetectionOutputParameter& p = layer_param_.detection_output_param();
  if (!p.has_num_classes() || p.num_classes() < 1) {
    Fail("detection_output_param.num_classes must be given and positive.");
  }
  num_classes_ = static_cast<int>(p.num_classes());
  share_location_ = p.share_location();
  num_loc_classes_ = share_location_ ? 1 : num_classes_;
  background_ = p.background_label_id();
  code_type_ = p.code_type();
  variance_in_target_ = p.variance_encoded_in_target();
  keep_top_k_ = p.keep_top_k();
  confidence_threshold_ = p.has_confidence_threshold() ? p.confidence_threshold() : -FLT_MAX;
  nms_threshold_ = p.nms_param().nms_threshold();
  if (nms_threshold_ < 0) Fail("nms_param.nms_threshold must not be negative.");
  eta_ = p.nms_param().eta();
  if (eta_ <= 0 || eta_ > 1) Fail("nms_param.eta must be in (0, 1]; got ", eta_, ".");
  top_k_ = p.nms_param().has_top_k() ? p.nms_param().top_k() : -1;
  if (p.has_save_output_param() && p.save_output_param().has_output_directory()) {
    Fail("save_output_param (writing detections to files) is not supported; ",
         "read the detections from the top blob.");
  }
}

void DetectionOutputLayer::Reshape(const std::vector<Blob*>& bottom,
                                   const std::vector<Blob*>& top) {
  const Blob& prior = *bottom[2];
  if (prior.num_axes() < 3 || prior.shape(1) != 2 || prior.count(2) % 4 != 0) {
    Fail("bottom 2 (priors) must be 1 x 2 x (priors 4) as PriorBox writes it; got ",
         prior.shape_string(), ".");
  }
  num_priors_ = prior.count(2) / 4;
  const int num = bottom[0]->shape(0);
  if (bottom[0]->count() != num * num_priors_ * num_loc_classes_ * 4) {
    Fail("bottom 0 (locations) ", bottom[0]->shape_string(), " should hold ", num,
         " x ", num_priors_, " priors x ", num_loc_classes_, " x 4 values.");
  }
  if (bottom[1]->count() != num * num_priors_ * num_classes_) {
    Fail("bottom 1 (confidences) ", bottom[1]->shape_string(), " should hold ", num,
         " x ", num_priors_, " priors x ", num_classes_, " classes.");
  }
  // The number of detections is known after Forward; one row until then.
  top[0]->Reshape(std::vector<int>{1, 1, 1, 7});
}

std::vector<std::vector<Box>> DetectionOutputLayer::DecodeImage(const float* loc,
                                                                const float* prior) const {
  const float* variance = prior + num_priors_ * 4;
  std::vector<std::vector<Box>> boxes(num_loc_classes_, std::vector<Box>(num_priors_));
  for (int p = 0; p < num_priors_; ++p) {
    const Box pb{prior[p * 4], prior[p * 4 + 1], prior[p * 4 + 2], prior[p * 4 + 3]};
    for (int c = 0; c < num_loc_classes_; ++c) {
      boxes[c][p] = DecodeBox(pb, variance + p * 4, code_type_, variance_in_target_,
                              loc + (p * num_loc_classes_ + c) * 4);
    }
  }
  return boxes;
}

std::map<int, std::vector<int>> DetectionOutputLayer::DetectImage(
    const std::vector<std::vector<Box>>& boxes, const float* conf) const {
  std::map<int, std::vector<int>> kept;
  std::vector<float> scores(num_priors_);
  int total = 0;
  for (int c = 0; c < num_classes_; ++c) {
    if (c == background_) continue;
    for (int p = 0; p < num_priors_; ++p) scores[p] = conf[p * num_classes_ + c];
    const std::vector<Box>& class_boxes = boxes[share_location_ ? 0 : c];
    std::vector<int> idx = NmsFast(class_boxes, scores.data(), confidence_threshold_,
                                   nms_threshold_, eta_, top_k_);
    total += static_cast<int>(idx.size());
    if (!idx.empty()) kept[c] = std::move(idx);
  }
  if (keep_top_k_ < 0 || total <= keep_top_k_) return kept;
  std::vector<std::tuple<float, int, int>> all;  // score, label, prior
  for (const auto& [label, idx] : kept) {
    for (int p : idx) all.emplace_back(conf[p * num_classes_ + label], label, p);
  }
  std::stable_sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
    return std::get<0>(a) > std::get<0>(b);
  });
  all.resize(keep_top_k_);
  std::map<int, std::vector<int>> best;
  for (const auto& [score, label, p] : all) best[label].push_back(p);
  for (auto& entry : best) {  // within a label, by descending score
    std::stable_sort(entry.second.begin(), entry.second.end(), [&](int a, int b) {
      return conf[a * num_classes_ + entry.first] > conf[b * num_classes_ + entry.first];
    });
  }
  return best;
}

void DetectionOutputLayer::Forward_cpu(const std::vector<Blob*>& bottom,
                                       const std::vector<Blob*>& top) {
  const int num = bottom[0]->shape(0);
  const float* loc = bottom[0]->cpu_data();
  const float* conf = bottom[1]->cpu_data();
  const float* prior = bottom[2]->cpu_data();
  std::vector<std::vector<std::vector<Box>>> boxes(num);
  std::vector<std::map<int, std::vector<int>>> kept(num);
  int rows = 0;
  for (int n = 0; n < num; ++n) {
    boxes[n] = DecodeImage(loc + n * num_priors_ * num_loc_classes_ * 4, prior);
    kept[n] = DetectImage(boxes[n], conf + n * num_priors_ * num_classes_);
    for (const auto& entry : kept[n]) rows += static_cast<int>(entry.second.size());
  }
  if (rows == 0) {
    top[0]->Reshape(std::vector<int>{1, 1, num, 7});
    float* out = top[0]->mutable_cpu_data();
    cpu_set(top[0]->count(), -1.f, out);
    for (int n = 0; n < num; ++n) out[n * 7] = static_cast<float>(n);
    return;
  }
  top[0]->Reshape(std::vector<int>{1, 1, rows, 7});
  float* out = top[0]->mutable_cpu_data();
  for (int n = 0; n < num; ++n) {
    const float* image_conf = conf + n * num_priors_ * num_classes_;
    for (const auto& [label, idx] : kept[n]) {
      const std::vector<Box>& class_boxes = boxes[n][share_location_ ? 0 : label];
      for (int p : idx) {
        const Box& b = class_boxes[p];
        const float row[7] = {static_cast<float>(n), static_cast<float>(label),
                              image_conf[p * num_classes_ + label],
                              b.xmin, b.ymin, b.xmax, b.ymax};
        std::copy(row, row + 7, out);
        out += 7;
      }
    }
  }
}

CREMA_REGISTER_LAYER("DetectionOutput", DetectionOutputLayer);

}  // namespace crema
