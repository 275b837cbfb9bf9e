// SigmoidCrossEntropyLoss: the cross entropy of sigmoid(bottom[0]) against
// targets in [0, 1] (bottom[1], same count), computed stably from the scores.
// loss_param.ignore_label skips targets equal to it; loss_param.normalization
// picks the divisor (BATCH_SIZE when neither it nor the legacy normalize is
// given, as in Caffe).
#ifndef CREMA_LAYERS_SIGMOID_CROSS_ENTROPY_LOSS_LAYER_HPP_
#define CREMA_LAYERS_SIGMOID_CROSS_ENTROPY_LOSS_LAYER_HPP_

#include <vector>

#include "crema/layer.hpp"

namespace crema {

class SigmoidCrossEntropyLossLayer : public LossLayer {
 public:
  explicit SigmoidCrossEntropyLossLayer(const LayerParameter& param) : LossLayer(param) {}
  const char* type() const override { return "SigmoidCrossEntropyLoss"; }
  void LayerSetUp(const std::vector<Blob*>& bottom,
                  const std::vector<Blob*>& top) override;
  void Reshape(const std::vector<Blob*>& bottom,
               const std::vector<Blob*>& top) override;

 protected:
  void Forward_cpu(const std::vector<Blob*>& bottom,
                   const std::vector<Blob*>& top) override;
  void Backward_cpu(const std::vector<Blob*>& top,
                    const std::vector<bool>& propagate_down,
                    const std::vector<Blob*>& bottom) override;

 private:
  Blob sigmoid_;
  bool has_ignore_label_ = false;
  int ignore_label_ = 0;
  LossParameter::NormalizationMode normalization_ = LossParameter::BATCH_SIZE;
  int outer_num_ = 0;
  int inner_num_ = 0;
  float normalizer_ = 1.f;
};

}  // namespace crema

#endif  // CREMA_LAYERS_SIGMOID_CROSS_ENTROPY_LOSS_LAYER_HPP_
