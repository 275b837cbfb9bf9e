// DetectionEvaluate (SSD fork): scores detections against ground truth for
// mean average precision. bottom[0]: DetectionOutput's 1 x 1 x D x 7;
// bottom[1]: ground truth 1 x 1 x G x 8 (item_id, label, instance_id, xmin,
// ymin, xmax, ymax, difficult). top: 1 x 1 x R x 5. The first rows, one per
// class but background, are (-1, label, number of positives, -1, -1); then
// one row per detection (image, label, score, tp, fp), images and labels
// ascending, scores descending. A detection is a true positive when its
// best-overlapping box of its label and image overlaps it by at least
// overlap_threshold and no better-scored detection took that box; with
// evaluate_difficult_gt false, difficult boxes neither count as positives
// nor make a detection false (its row is then tp 0, fp 0).
// MeanAveragePrecision (bbox_util.hpp) turns the rows into the mAP.
#ifndef CREMA_LAYERS_DETECTION_EVALUATE_LAYER_HPP_
#define CREMA_LAYERS_DETECTION_EVALUATE_LAYER_HPP_

#include <vector>

#include "crema/layer.hpp"

namespace crema {

class DetectionEvaluateLayer : public Layer {
 public:
  explicit DetectionEvaluateLayer(const LayerParameter& param) : Layer(param) {}
  void LayerSetUp(const std::vector<Blob*>& bottom,
                  const std::vector<Blob*>& top) override;
  void Reshape(const std::vector<Blob*>& bottom,
               const std::vector<Blob*>& top) override;
  const char* type() const override { return "DetectionEvaluate"; }
  int ExactNumBottomBlobs() const override { return 2; }
  int ExactNumTopBlobs() const override { return 1; }
  bool AllowForceBackward(int bottom_index) const override { return false; }

 protected:
  void Forward_cpu(const std::vector<Blob*>& bottom,
                   const std::vector<Blob*>& top) override;
  void Backward_cpu(const std::vector<Blob*>& top,
                    const std::vector<bool>& propagate_down,
                    const std::vector<Blob*>& bottom) override {}

 private:
  int num_classes_ = 0, background_ = 0;
  float overlap_threshold_ = 0.5f;
  bool evaluate_difficult_ = true;
};

}  // namespace crema

#endif  // CREMA_LAYERS_DETECTION_EVALUATE_LAYER_HPP_
