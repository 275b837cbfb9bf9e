// Box arithmetic shared by the SSD layers (PriorBox, DetectionOutput,
// MultiBoxLoss, DetectionEvaluate): boxes in coordinates normalised to the
// image, Jaccard overlap, prior-relative encoding and decoding, greedy
// non-maximum suppression, matching of priors to ground truth and average
// precision. The rules are the SSD fork's, so results agree with it.
#ifndef CREMA_LAYERS_BBOX_UTIL_HPP_
#define CREMA_LAYERS_BBOX_UTIL_HPP_

#include <string>
#include <utility>
#include <vector>

#include "crema/proto/crema.pb.h"

namespace crema {

struct Box {
  float xmin = 0, ymin = 0, xmax = 0, ymax = 0;
};

// Area of a normalised box; 0 for an inverted one.
float BoxArea(const Box& b);
// Intersection over union of two normalised boxes (0 when disjoint).
float JaccardOverlap(const Box& a, const Box& b);

// Prior-relative codes. variance holds the prior's 4 variances; with
// variance_in_target the code already carries them.
Box DecodeBox(const Box& prior, const float* variance,
              PriorBoxParameter::CodeType code, bool variance_in_target,
              const float* loc);
void EncodeBox(const Box& prior, const float* variance,
               PriorBoxParameter::CodeType code, bool variance_in_target,
               const Box& box, float* loc);

// Greedy NMS: candidates are the indices with score > score_threshold, by
// descending score (stable), at most top_k of them (top_k < 0: all); a
// candidate is kept unless it overlaps a kept box by more than the
// threshold, which is multiplied by eta after each keep while it is above
// 0.5 (adaptive NMS). Returns the kept indices in order.
std::vector<int> NmsFast(const std::vector<Box>& boxes, const float* scores,
                         float score_threshold, float nms_threshold, float eta,
                         int top_k);

// Matches predictions (priors) to ground truth. match[i] is the index of
// the ground truth prediction i is matched to, or -1; overlap[i] is its best
// overlap with any ground truth. BIPARTITE first gives each ground truth its
// best free prediction; PER_PREDICTION then also matches each free
// prediction to its best ground truth when that overlap >= threshold.
void MatchBoxes(const std::vector<Box>& gt, const std::vector<Box>& preds,
                MultiBoxLossParameter::MatchType type, float threshold,
                std::vector<int>* match, std::vector<float>* overlap);

// Average precision of one class from (score, is_true_positive) pairs and
// the number of positives, as the SSD fork computes it: ap_version is
// "11point" (VOC2007), "MaxIntegral" (VOC2012) or "Integral" (ILSVRC).
float AveragePrecision(std::vector<std::pair<float, int>> scored_tp,
                       int num_pos, const std::string& ap_version);

// The mean AP over the classes of DetectionEvaluate outputs (each a
// 1 x 1 x R x 5 blob's rows, concatenated over test batches): rows with
// item_id -1 give a class's positive count, others (score, tp, fp).
float MeanAveragePrecision(const std::vector<std::vector<float>>& results,
                           const std::string& ap_version,
                           std::vector<std::pair<int, float>>* per_class = nullptr);

}  // namespace crema

#endif  // CREMA_LAYERS_BBOX_UTIL_HPP_
