#include "crema/layers/multibox_loss_layer.hpp"

#include <algorithm>
#include <cfloat>
#include <cmath>

#include "crema/layer_registry.hpp"
#include "crema/math/math_functions.hpp"

namespace crema {

void MultiBoxLossLayer::LayerSetUp(const std::vector<Blob*>& bottom,
                                   const std::vector<Blob*>& top) {
  LossLayer::LayerSetUp(bottom, top);
  param_ = layer_param_.multibox_loss_param();
  if (!param_.has_num_classes() || param_.num_classes() < 1) {
    Fail("multibox_loss_param.num_classes must be given and positive.");
  }
  num_classes_ = static_cast<int>(param_.num_classes());
  background_ = static_cast<int>(param_.background_label_id());
  if (!param_.share_location()) {
    Fail("multibox_loss_param.share_location: false is not supported; ",
         "predict one box per prior.");
  }
  if (param_.conf_loss_type() != MultiBoxLossParameter::SOFTMAX) {
    Fail("multibox_loss_param.conf_loss_type: only SOFTMAX is supported.");
  }
  if (param_.mining_type() == MultiBoxLossParameter::HARD_EXAMPLE) {
    Fail("multibox_loss_param.mining_type: HARD_EXAMPLE is not supported; ",
         "use MAX_NEGATIVE or NONE.");
  }
  if (param_.has_do_neg_mining() && !param_.has_mining_type()) {
    param_.set_mining_type(param_.do_neg_mining() ? MultiBoxLossParameter::MAX_NEGATIVE
                                                  : MultiBoxLossParameter::NONE);
  }
  if (param_.map_object_to_agnostic() || param_.ignore_cross_boundary_bbox() ||
      param_.bp_inside()) {
    Fail("multibox_loss_param: map_object_to_agnostic, ignore_cross_boundary_bbox ",
         "and bp_inside are not supported.");
  }
  normalization_ = ReadNormalization(LossParameter::VALID);
}

void MultiBoxLossLayer::Reshape(const std::vector<Blob*>& bottom,
                                const std::vector<Blob*>& top) {
  const Blob& prior = *bottom[2];
  if (prior.num_axes() < 3 || prior.shape(1) != 2 || prior.count(2) % 4 != 0) {
    Fail("bottom 2 (priors) must be 1 x 2 x (priors 4) as PriorBox writes it; got ",
         prior.shape_string(), ".");
  }
  num_ = bottom[0]->shape(0);
  num_priors_ = prior.count(2) / 4;
  if (bottom[0]->count() != num_ * num_priors_ * 4) {
    Fail("bottom 0 (locations) ", bottom[0]->shape_string(), " should hold ", num_,
         " x ", num_priors_, " priors x 4 values.");
  }
  if (bottom[1]->count() != num_ * num_priors_ * num_classes_) {
    Fail("bottom 1 (confidences) ", bottom[1]->shape_string(), " should hold ", num_,
         " x ", num_priors_, " priors x ", num_classes_, " classes.");
  }
  if (bottom[3]->num_axes() < 2 || bottom[3]->shape(-1) != 8) {
    Fail("bottom 3 (ground truth) must be 1 x 1 x G x 8; got ",
         bottom[3]->shape_string(), ".");
  }
  top[0]->Reshape(std::vector<int>{});
}

std::map<int, std::vector<MultiBoxLossLayer::GroundTruth>> MultiBoxLossLayer::ReadGroundTruth(
    const Blob& gt) const {
  std::map<int, std::vector<GroundTruth>> result;
  const float* row = gt.cpu_data();
  for (int i = 0; i < gt.count() / 8; ++i, row += 8) {
    const int item = static_cast<int>(row[0]);
    if (item == -1) continue;
    const int label = static_cast<int>(row[1]);
    if (item < 0 || item >= num_) {
      Fail("ground-truth row ", i, " names image ", item, " of a batch of ", num_, ".");
    }
    if (label == background_ || label < 0 || label >= num_classes_) {
      Fail("ground-truth row ", i, " has label ", label, "; labels must be in [0, ",
           num_classes_, ") and not the background label ", background_, ".");
    }
    if (row[7] != 0.f && !param_.use_difficult_gt()) continue;
    result[item].push_back({label, Box{row[3], row[4], row[5], row[6]}});
  }
  return result;
}

void MultiBoxLossLayer::Match(const std::map<int, std::vector<GroundTruth>>& gt,
                              const float* loc, const float* prior) {
  const float* variance = prior + num_priors_ * 4;
  std::vector<Box> priors(num_priors_);
  for (int p = 0; p < num_priors_; ++p) {
    priors[p] = Box{prior[p * 4], prior[p * 4 + 1], prior[p * 4 + 2], prior[p * 4 + 3]};
  }
  match_.assign(num_, std::vector<int>(num_priors_, -1));
  overlap_.assign(num_, std::vector<float>(num_priors_, 0.f));
  num_matches_ = 0;
  for (const auto& [image, truths] : gt) {
    std::vector<Box> gt_boxes;
    for (const GroundTruth& t : truths) gt_boxes.push_back(t.box);
    std::vector<Box> preds = priors;
    if (!param_.use_prior_for_matching()) {
      for (int p = 0; p < num_priors_; ++p) {
        preds[p] = DecodeBox(priors[p], variance + p * 4, param_.code_type(),
                             param_.encode_variance_in_target(),
                             loc + (image * num_priors_ + p) * 4);
      }
    }
    MatchBoxes(gt_boxes, preds, param_.match_type(), param_.overlap_threshold(),
               &match_[image], &overlap_[image]);
    for (int m : match_[image]) num_matches_ += m != -1;
  }
}

float MultiBoxLossLayer::ConfLoss(const float* scores, int label) const {
  const float top = *std::max_element(scores, scores + num_classes_);
  double sum = 0;
  for (int c = 0; c < num_classes_; ++c) sum += std::exp(scores[c] - top);
  const float prob = static_cast<float>(std::exp(scores[label] - top) / sum);
  return -std::log(std::max(prob, FLT_MIN));
}

void MultiBoxLossLayer::SelectSamples(const std::map<int, std::vector<GroundTruth>>& gt,
                                      const float* conf) {
  conf_samples_.clear();
  std::vector<Sample> negatives;
  for (int n = 0; n < num_; ++n) {
    const auto truths = gt.find(n);
    int positives = 0;
    std::vector<std::pair<float, int>> candidates;
    for (int p = 0; p < num_priors_; ++p) {
      const int m = match_[n][p];
      if (m != -1) {
        conf_samples_.push_back({n, p, truths->second[m].label});
        ++positives;
      } else if (param_.mining_type() == MultiBoxLossParameter::NONE) {
        negatives.push_back({n, p, background_});
      } else if (overlap_[n][p] < param_.neg_overlap()) {
        const float* scores = conf + (n * num_priors_ + p) * num_classes_;
        candidates.emplace_back(ConfLoss(scores, background_), p);
      }
    }
    if (param_.mining_type() == MultiBoxLossParameter::NONE) continue;
    const int wanted = std::min(static_cast<int>(positives * param_.neg_pos_ratio()),
                                static_cast<int>(candidates.size()));
    std::stable_sort(candidates.begin(), candidates.end(),
                     [](const auto& a, const auto& b) { return a.first > b.first; });
    std::vector<int> chosen;
    for (int i = 0; i < wanted; ++i) chosen.push_back(candidates[i].second);
    std::sort(chosen.begin(), chosen.end());
    for (int p : chosen) negatives.push_back({n, p, background_});
  }
  conf_samples_.insert(conf_samples_.end(), negatives.begin(), negatives.end());
}

float MultiBoxLossLayer::LocLoss(const std::map<int, std::vector<GroundTruth>>& gt,
                                 const float* loc, const float* prior) {
  const float* variance = prior + num_priors_ * 4;
  loc_samples_.clear();
  loc_diff_.clear();
  double loss = 0;
  for (int n = 0; n < num_; ++n) {
    for (int p = 0; p < num_priors_; ++p) {
      const int m = match_[n][p];
      if (m == -1) continue;
      const Box pb{prior[p * 4], prior[p * 4 + 1], prior[p * 4 + 2], prior[p * 4 + 3]};
      float target[4];
      EncodeBox(pb, variance + p * 4, param_.code_type(),
                param_.encode_variance_in_target(), gt.at(n)[m].box, target);
      loc_samples_.emplace_back(n, p);
      for (int k = 0; k < 4; ++k) {
        const float d = loc[(n * num_priors_ + p) * 4 + k] - target[k];
        loc_diff_.push_back(d);
        if (param_.loc_loss_type() == MultiBoxLossParameter::L2) {
          loss += 0.5 * d * d;
        } else {
          loss += std::fabs(d) < 1.f ? 0.5 * d * d : std::fabs(d) - 0.5;
        }
      }
    }
  }
  return static_cast<float>(loss);
}

void MultiBoxLossLayer::Forward_cpu(const std::vector<Blob*>& bottom,
                                    const std::vector<Blob*>& top) {
  const float* loc = bottom[0]->cpu_data();
  const float* conf = bottom[1]->cpu_data();
  const float* prior = bottom[2]->cpu_data();
  const auto gt = ReadGroundTruth(*bottom[3]);
  Match(gt, loc, prior);
  SelectSamples(gt, conf);
  const float loc_loss = LocLoss(gt, loc, prior);
  double conf_loss = 0;
  for (const Sample& s : conf_samples_) {
    conf_loss += ConfLoss(conf + (s.image * num_priors_ + s.prior) * num_classes_, s.label);
  }
  normalizer_ = GetNormalizer(normalization_, num_, num_priors_, num_matches_);
  top[0]->mutable_cpu_data()[0] = static_cast<float>(
      (param_.loc_weight() * loc_loss + conf_loss) / normalizer_);
}

void MultiBoxLossLayer::Backward_cpu(const std::vector<Blob*>& top,
                                     const std::vector<bool>& propagate_down,
                                     const std::vector<Blob*>& bottom) {
  const float scale = top[0]->cpu_diff()[0] / normalizer_;
  if (propagate_down[0]) {
    float* diff = bottom[0]->mutable_cpu_diff();
    cpu_zero(bottom[0]->count(), diff);
    const bool l2 = param_.loc_loss_type() == MultiBoxLossParameter::L2;
    for (size_t i = 0; i < loc_samples_.size(); ++i) {
      const auto [n, p] = loc_samples_[i];
      for (int k = 0; k < 4; ++k) {
        const float d = loc_diff_[i * 4 + k];
        const float g = l2 || std::fabs(d) < 1.f ? d : (d > 0 ? 1.f : -1.f);
        diff[(n * num_priors_ + p) * 4 + k] = g * param_.loc_weight() * scale;
      }
    }
  }
  if (propagate_down[1]) {
    const float* conf = bottom[1]->cpu_data();
    float* diff = bottom[1]->mutable_cpu_diff();
    cpu_zero(bottom[1]->count(), diff);
    for (const Sample& s : conf_samples_) {
      const int base = (s.image * num_priors_ + s.prior) * num_classes_;
      const float top_score = *std::max_element(conf + base, conf + base + num_classes_);
      double sum = 0;
      for (int c = 0; c < num_classes_; ++c) sum += std::exp(conf[base + c] - top_score);
      for (int c = 0; c < num_classes_; ++c) {
        const float prob = static_cast<float>(std::exp(conf[base + c] - top_score) / sum);
        diff[base + c] = (prob - (c == s.label ? 1.f : 0.f)) * scale;
      }
    }
  }
}

CREMA_REGISTER_LAYER("MultiBoxLoss", MultiBoxLossLayer);

}  // namespace crema
