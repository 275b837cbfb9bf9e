// Softmax over one axis (softmax_param.axis, default 1):
// y = exp(x - max) / sum(exp(x - max)), for every position of the other axes.
#ifndef CREMA_LAYERS_SOFTMAX_LAYER_HPP_
#define CREMA_LAYERS_SOFTMAX_LAYER_HPP_

#include <vector>

#include "crema/layer.hpp"

namespace crema {

class SoftmaxLayer : public Layer {
 public:
  explicit SoftmaxLayer(const LayerParameter& param) : Layer(param) {}
  const char* type() const override { return "Softmax"; }
  void Reshape(const std::vector<Blob*>& bottom,
               const std::vector<Blob*>& top) override;
  int ExactNumBottomBlobs() const override { return 1; }
  int ExactNumTopBlobs() const override { return 1; }

 protected:
  void Forward_cpu(const std::vector<Blob*>& bottom,
                   const std::vector<Blob*>& top) override;
  void Backward_cpu(const std::vector<Blob*>& top,
                    const std::vector<bool>& propagate_down,
                    const std::vector<Blob*>& bottom) override;

 private:
  int axis_ = 1;
  int outer_num_ = 0;  // product of the axes before axis_
  int channels_ = 0;   // size of axis_
  int inner_num_ = 0;  // product of the axes after axis_
};

}  // namespace crema

#endif  // CREMA_LAYERS_SOFTMAX_LAYER_HPP_
