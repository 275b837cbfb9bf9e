// InfogainLoss: a softmax loss weighted by an infogain matrix H (K x K):
// loss = -sum_l H[label][l] * log(softmax(x)_l) per position, over the
// classes on infogain_loss_param.axis (default 1). H comes from a third
// bottom or from the BlobProto file infogain_loss_param.source. Supports
// loss_param.ignore_label and normalization (default VALID); an optional
// second top receives the probabilities.
#ifndef CREMA_LAYERS_INFOGAIN_LOSS_LAYER_HPP_
#define CREMA_LAYERS_INFOGAIN_LOSS_LAYER_HPP_

#include <memory>
#include <vector>

#include "crema/layer.hpp"

namespace crema {

class InfogainLossLayer : public LossLayer {
 public:
  explicit InfogainLossLayer(const LayerParameter& param) : LossLayer(param) {}
  const char* type() const override { return "InfogainLoss"; }
  void LayerSetUp(const std::vector<Blob*>& bottom,
                  const std::vector<Blob*>& top) override;
  void Reshape(const std::vector<Blob*>& bottom,
               const std::vector<Blob*>& top) override;
  int ExactNumBottomBlobs() const override { return -1; }
  int MinBottomBlobs() const override { return 2; }
  int MaxBottomBlobs() const override { return 3; }
  int ExactNumTopBlobs() const override { return -1; }
  int MinTopBlobs() const override { return 1; }
  int MaxTopBlobs() const override { return 2; }
  bool AllowForceBackward(int bottom_index) const override {
    return bottom_index == 0;
  }

 protected:
  void Forward_cpu(const std::vector<Blob*>& bottom,
                   const std::vector<Blob*>& top) override;
  void Backward_cpu(const std::vector<Blob*>& top,
                    const std::vector<bool>& propagate_down,
                    const std::vector<Blob*>& bottom) override;

 private:
  int LabelAt(const float* label, int index) const;
  const Blob& Infogain(const std::vector<Blob*>& bottom) const;
  std::shared_ptr<Layer> softmax_layer_;
  Blob prob_;
  std::vector<Blob*> softmax_bottom_;
  std::vector<Blob*> softmax_top_;
  Blob infogain_;  // H when read from source
  bool has_ignore_label_ = false;
  int ignore_label_ = 0;
  LossParameter::NormalizationMode normalization_ = LossParameter::VALID;
  int axis_ = 1;
  int outer_num_ = 0;
  int inner_num_ = 0;
  int num_labels_ = 0;
};

}  // namespace crema

#endif  // CREMA_LAYERS_INFOGAIN_LOSS_LAYER_HPP_
