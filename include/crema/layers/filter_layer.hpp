// Filter: passes through the items (first-axis slices) of each data bottom
// whose entry in the last bottom, the selector (shape N or N x 1 x ...), is
// non-zero; the tops have as many items as were selected. The first Reshape
// keeps all N so that a net can be set up before any selector is known.
// Gradients go back to the selected items; the selector gets none.
#ifndef CREMA_LAYERS_FILTER_LAYER_HPP_
#define CREMA_LAYERS_FILTER_LAYER_HPP_

#include <vector>

#include "crema/layer.hpp"

namespace crema {

class FilterLayer : public Layer {
 public:
  explicit FilterLayer(const LayerParameter& param) : Layer(param) {}
  const char* type() const override { return "Filter"; }
  void LayerSetUp(const std::vector<Blob*>& bottom,
                  const std::vector<Blob*>& top) override;
  void Reshape(const std::vector<Blob*>& bottom,
               const std::vector<Blob*>& top) override;
  int MinBottomBlobs() const override { return 2; }
  int MinTopBlobs() const override { return 1; }
  bool AllowForceBackward(int bottom_index) const override;

 protected:
  void Forward_cpu(const std::vector<Blob*>& bottom,
                   const std::vector<Blob*>& top) override;
  void Backward_cpu(const std::vector<Blob*>& top,
                    const std::vector<bool>& propagate_down,
                    const std::vector<Blob*>& bottom) override;

 private:
  std::vector<int> selected_;
  bool first_reshape_ = true;
  int num_bottoms_ = 0;
};

}  // namespace crema

#endif  // CREMA_LAYERS_FILTER_LAYER_HPP_
