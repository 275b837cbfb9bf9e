// DetectionOutput (SSD fork): turns box predictions into detections.
// bottom[0]: location codes, N x (P L 4) (L = 1 with share_location, else
// num_classes); bottom[1]: class confidences, N x (P num_classes), already
// through Softmax or Sigmoid (the net's own layers do that, as in the
// fork); bottom[2]: PriorBox output, 1 x 2 x (P 4). Each prior's box is
// decoded (code_type, with the prior's variances unless
// variance_encoded_in_target); for each class but background_label_id,
// boxes scoring above confidence_threshold go through NMS (nms_param:
// nms_threshold, top_k, eta); keep_top_k then keeps an image's best.
// top: 1 x 1 x D x 7, rows image_id, label, score, xmin, ymin, xmax, ymax
// (normalised, unclipped), images in order, then labels ascending, then
// score descending. With no detection at all, as the fork does, one row per
// image: image_id followed by six -1.
#ifndef CREMA_LAYERS_DETECTION_OUTPUT_LAYER_HPP_
#define CREMA_LAYERS_DETECTION_OUTPUT_LAYER_HPP_

#include <map>
#include <vector>

#include "crema/layer.hpp"
#include "crema/layers/bbox_util.hpp"

namespace crema {

class DetectionOutputLayer : public Layer {
 public:
  explicit DetectionOutputLayer(const LayerParameter& param) : Layer(param) {}
  void LayerSetUp(const std::vector<Blob*>& bottom,
                  const std::vector<Blob*>& top) override;
  void Reshape(const std::vector<Blob*>& bottom,
               const std::vector<Blob*>& top) override;
  const char* type() const override { return "DetectionOutput"; }
  int ExactNumBottomBlobs() const override { return 3; }
  int ExactNumTopBlobs() const override { return 1; }
  bool AllowForceBackward(int bottom_index) const override { return false; }

 protected:
  void Forward_cpu(const std::vector<Blob*>& bottom,
                   const std::vector<Blob*>& top) override;
  void Backward_cpu(const std::vector<Blob*>& top,
                    const std::vector<bool>& propagate_down,
                    const std::vector<Blob*>& bottom) override {}

 private:
  // Decoded boxes of image n for each location class.
  std::vector<std::vector<Box>> DecodeImage(const float* loc, const float* prior) const;
  // label -> kept prior indices for image n, after NMS and keep_top_k.
  std::map<int, std::vector<int>> DetectImage(const std::vector<std::vector<Box>>& boxes,
                                              const float* conf) const;

  int num_classes_ = 0, background_ = 0, num_loc_classes_ = 1, num_priors_ = 0;
  bool share_location_ = true, variance_in_target_ = false;
  PriorBoxParameter::CodeType code_type_ = PriorBoxParameter::CORNER;
  float nms_threshold_ = 0.3f, eta_ = 1.f, confidence_threshold_ = 0.f;
  int top_k_ = -1, keep_top_k_ = -1;
};

}  // namespace crema

#endif  // CREMA_LAYERS_DETECTION_OUTPUT_LAYER_HPP_
