// SoftmaxWithLoss: the multinomial logistic loss of the softmax of bottom[0]
// (scores) against bottom[1] (integer class labels, one per position of the
// axes other than softmax_param.axis). loss_param.ignore_label skips
// positions; loss_param.normalization (or the legacy `normalize`) picks the
// divisor. An optional second top receives the probabilities.
#ifndef CREMA_LAYERS_SOFTMAX_LOSS_LAYER_HPP_
#define CREMA_LAYERS_SOFTMAX_LOSS_LAYER_HPP_

#include <memory>
#include <vector>

#include "crema/layer.hpp"

namespace crema {

class SoftmaxWithLossLayer : public LossLayer {
 public:
  explicit SoftmaxWithLossLayer(const LayerParameter& param) : LossLayer(param) {}
  const char* type() const override { return "SoftmaxWithLoss"; }
  void LayerSetUp(const std::vector<Blob*>& bottom,
                  const std::vector<Blob*>& top) override;
  void Reshape(const std::vector<Blob*>& bottom,
               const std::vector<Blob*>& top) override;
  int ExactNumTopBlobs() const override { return -1; }
  int MinTopBlobs() const override { return 1; }
  int MaxTopBlobs() const override { return 2; }

 protected:
  void Forward_cpu(const std::vector<Blob*>& bottom,
                   const std::vector<Blob*>& top) override;
  void Backward_cpu(const std::vector<Blob*>& top,
                    const std::vector<bool>& propagate_down,
                    const std::vector<Blob*>& bottom) override;

 private:
  // The label at a position, checked against the number of classes.
  int LabelAt(const float* label, int index) const;

  std::shared_ptr<Layer> softmax_layer_;
  Blob prob_;  // softmax output
  std::vector<Blob*> softmax_bottom_;
  std::vector<Blob*> softmax_top_;
  bool has_ignore_label_ = false;
  int ignore_label_ = 0;
  LossParameter::NormalizationMode normalization_ = LossParameter::VALID;
  int axis_ = 1;
  int outer_num_ = 0;
  int inner_num_ = 0;
};

}  // namespace crema

#endif  // CREMA_LAYERS_SOFTMAX_LOSS_LAYER_HPP_
