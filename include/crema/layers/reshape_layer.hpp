// Reshape: gives the bottom a new shape without copying (the top shares the
// bottom's data and diff). reshape_param.shape lists the new dimensions:
// 0 copies the bottom's dimension at that position, -1 (at most once) is
// inferred from the element count. axis and num_axes pick the range of
// bottom axes being replaced (default: all of them).
#ifndef CREMA_LAYERS_RESHAPE_LAYER_HPP_
#define CREMA_LAYERS_RESHAPE_LAYER_HPP_

#include <vector>

#include "crema/layer.hpp"

namespace crema {

class ReshapeLayer : public Layer {
 public:
  explicit ReshapeLayer(const LayerParameter& param) : Layer(param) {}
  const char* type() const override { return "Reshape"; }
  void LayerSetUp(const std::vector<Blob*>& bottom,
                  const std::vector<Blob*>& top) override;
  void Reshape(const std::vector<Blob*>& bottom,
               const std::vector<Blob*>& top) override;
  int ExactNumBottomBlobs() const override { return 1; }
  int ExactNumTopBlobs() const override { return 1; }

 protected:
  void Forward_cpu(const std::vector<Blob*>& bottom,
                   const std::vector<Blob*>& top) override {}
  void Backward_cpu(const std::vector<Blob*>& top,
                    const std::vector<bool>& propagate_down,
                    const std::vector<Blob*>& bottom) override {}

 private:
  std::vector<int> copy_axes_;  // positions in the new shape holding 0
  int inferred_axis_ = -1;      // position holding -1, if any
  int constant_count_ = 1;      // product of the explicit dimensions
};

}  // namespace crema

#endif  // CREMA_LAYERS_RESHAPE_LAYER_HPP_
