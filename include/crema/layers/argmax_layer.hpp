// ArgMax: the indices (and with out_max_val, the values) of the top_k
// largest entries. Without argmax_param.axis the input is flattened per item
// and the top is N x (1 or 2) x top_k (x 1); with an axis the top is the
// bottom with that axis of size top_k, holding indices, or values when
// out_max_val. Ties go to the higher index. No backward pass.
#ifndef CREMA_LAYERS_ARGMAX_LAYER_HPP_
#define CREMA_LAYERS_ARGMAX_LAYER_HPP_

#include <vector>

#include "crema/layer.hpp"

namespace crema {

class ArgMaxLayer : public Layer {
 public:
  explicit ArgMaxLayer(const LayerParameter& param) : Layer(param) {}
  const char* type() const override { return "ArgMax"; }
  void LayerSetUp(const std::vector<Blob*>& bottom,
                  const std::vector<Blob*>& top) override;
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
  bool out_max_val_ = false;
  int top_k_ = 1;
  bool has_axis_ = false;
  int axis_ = 0;
};

}  // namespace crema

#endif  // CREMA_LAYERS_ARGMAX_LAYER_HPP_
