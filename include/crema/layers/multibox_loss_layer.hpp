// MultiBoxLoss (SSD fork): the SSD training loss. bottom[0]: location codes
// N x (P 4); bottom[1]: class scores (logits) N x (P C); bottom[2]: PriorBox
// output 1 x 2 x (P 4); bottom[3]: ground truth 1 x 1 x G x 8, rows
// item_id, label, instance_id, xmin, ymin, xmax, ymax, difficult (as
// AnnotatedData writes them; item_id -1 rows are skipped).
//
// Each image's priors are matched to its ground truth (match_type BIPARTITE,
// or PER_PREDICTION which then adds every prior overlapping a box by at
// least overlap_threshold). Matched priors are positives; with
// mining_type MAX_NEGATIVE the negatives are the neg_pos_ratio x positives
// unmatched priors (best overlap below neg_overlap) with the highest
// background loss, with NONE every unmatched prior. The loss is
// loc_weight x localisation loss (SMOOTH_L1 or L2 between the positives'
// codes and their boxes encoded against the prior, code_type) plus the
// SOFTMAX confidence loss of positives (their box's label) and negatives
// (background), both divided by the loss_param normalizer (VALID: the
// number of positives). Supported: share_location, SOFTMAX confidences,
// mining NONE / MAX_NEGATIVE; the rest is an error naming the field.
#ifndef CREMA_LAYERS_MULTIBOX_LOSS_LAYER_HPP_
#define CREMA_LAYERS_MULTIBOX_LOSS_LAYER_HPP_

#include <map>
#include <vector>

#include "crema/layer.hpp"
#include "crema/layers/bbox_util.hpp"

namespace crema {

class MultiBoxLossLayer : public LossLayer {
 public:
  explicit MultiBoxLossLayer(const LayerParameter& param) : LossLayer(param) {}
  void LayerSetUp(const std::vector<Blob*>& bottom,
                  const std::vector<Blob*>& top) override;
  void Reshape(const std::vector<Blob*>& bottom,
               const std::vector<Blob*>& top) override;
  const char* type() const override { return "MultiBoxLoss"; }
  int ExactNumBottomBlobs() const override { return 4; }
  bool AllowForceBackward(int bottom_index) const override {
    return bottom_index < 2;
  }
  int num_matches() const { return num_matches_; }
  int num_negatives() const { return static_cast<int>(conf_samples_.size()) - num_matches_; }

 protected:
  void Forward_cpu(const std::vector<Blob*>& bottom,
                   const std::vector<Blob*>& top) override;
  void Backward_cpu(const std::vector<Blob*>& top,
                    const std::vector<bool>& propagate_down,
                    const std::vector<Blob*>& bottom) override;

 private:
  struct GroundTruth {
    int label;
    Box box;
  };
  struct Sample {  // one prior of one image and the class it should score
    int image, prior, label;
  };
  std::map<int, std::vector<GroundTruth>> ReadGroundTruth(const Blob& gt) const;
  // Fills match_ (per image, per prior: ground-truth index or -1) and
  // overlap_ (best overlap).
  void Match(const std::map<int, std::vector<GroundTruth>>& gt, const float* loc,
             const float* prior);
  // -log softmax(scores)[label] for one prior.
  float ConfLoss(const float* scores, int label) const;
  // Chooses the confidence samples: positives, then mined negatives.
  void SelectSamples(const std::map<int, std::vector<GroundTruth>>& gt,
                     const float* conf);
  float LocLoss(const std::map<int, std::vector<GroundTruth>>& gt, const float* loc,
                const float* prior);

  MultiBoxLossParameter param_;
  LossParameter::NormalizationMode normalization_ = LossParameter::VALID;
  int num_ = 0, num_priors_ = 0, num_classes_ = 0, background_ = 0;
  int num_matches_ = 0;
  float normalizer_ = 1.f;
  std::vector<std::vector<int>> match_;
  std::vector<std::vector<float>> overlap_;
  std::vector<Sample> conf_samples_;
  // Per positive (image, prior): the code differences pred - target.
  std::vector<std::pair<int, int>> loc_samples_;
  std::vector<float> loc_diff_;
};

}  // namespace crema

#endif  // CREMA_LAYERS_MULTIBOX_LOSS_LAYER_HPP_
