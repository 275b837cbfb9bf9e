// Concat: joins its bottoms along concat_param.axis (or the legacy
// concat_dim). All bottoms must agree on every other axis.
#ifndef CREMA_LAYERS_CONCAT_LAYER_HPP_
#define CREMA_LAYERS_CONCAT_LAYER_HPP_

#include <vector>

#include "crema/layer.hpp"

namespace crema {

class ConcatLayer : public Layer {
 public:
  explicit ConcatLayer(const LayerParameter& param) : Layer(param) {}
  const char* type() const override { return "Concat"; }
  void LayerSetUp(const std::vector<Blob*>& bottom,
                  const std::vector<Blob*>& top) override;
  void Reshape(const std::vector<Blob*>& bottom,
               const std::vector<Blob*>& top) override;
  int MinBottomBlobs() const override { return 1; }
  int ExactNumTopBlobs() const override { return 1; }

 protected:
  void Forward_cpu(const std::vector<Blob*>& bottom,
                   const std::vector<Blob*>& top) override;
  void Backward_cpu(const std::vector<Blob*>& top,
                    const std::vector<bool>& propagate_down,
                    const std::vector<Blob*>& bottom) override;

 private:
  int axis_ = 1;
  int num_concats_ = 0;  // product of the axes before axis_
  int inner_size_ = 0;   // product of the axes after axis_
};

}  // namespace crema

#endif  // CREMA_LAYERS_CONCAT_LAYER_HPP_
