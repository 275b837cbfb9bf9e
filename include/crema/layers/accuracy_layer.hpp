// Accuracy: the fraction of positions whose true label (bottom[1]) is among
// the top_k scores of bottom[0] along accuracy_param.axis; positions labeled
// ignore_label are skipped. An optional second top holds the accuracy of
// each class. No backward pass.
#ifndef CREMA_LAYERS_ACCURACY_LAYER_HPP_
#define CREMA_LAYERS_ACCURACY_LAYER_HPP_

#include <vector>

#include "crema/layer.hpp"

namespace crema {

class AccuracyLayer : public Layer {
 public:
  explicit AccuracyLayer(const LayerParameter& param) : Layer(param) {}
  const char* type() const override { return "Accuracy"; }
  void LayerSetUp(const std::vector<Blob*>& bottom,
                  const std::vector<Blob*>& top) override;
  void Reshape(const std::vector<Blob*>& bottom,
               const std::vector<Blob*>& top) override;
  int ExactNumBottomBlobs() const override { return 2; }
  int MinTopBlobs() const override { return 1; }
  int MaxTopBlobs() const override { return 2; }

 protected:
  void Forward_cpu(const std::vector<Blob*>& bottom,
                   const std::vector<Blob*>& top) override;
  // Accuracy is not differentiable: asking for a bottom diff is an error.
  void Backward_cpu(const std::vector<Blob*>& top,
                    const std::vector<bool>& propagate_down,
                    const std::vector<Blob*>& bottom) override;

 private:
  int top_k_ = 1;
  bool has_ignore_label_ = false;
  int ignore_label_ = 0;
  int axis_ = 1;
  int outer_num_ = 0;
  int inner_num_ = 0;
  std::vector<int> class_counts_;  // labeled positions per class
};

}  // namespace crema

#endif  // CREMA_LAYERS_ACCURACY_LAYER_HPP_
