// Flatten: merges axes [axis, end_axis] (defaults 1 and -1) into one, so an
// N x C x H x W blob becomes N x (C*H*W). The top shares the bottom's data
// and the bottom shares the top's diff: nothing is copied.
#ifndef CREMA_LAYERS_FLATTEN_LAYER_HPP_
#define CREMA_LAYERS_FLATTEN_LAYER_HPP_

#include <vector>

#include "crema/layer.hpp"

namespace crema {

class FlattenLayer : public Layer {
 public:
  explicit FlattenLayer(const LayerParameter& param) : Layer(param) {}
  const char* type() const override { return "Flatten"; }
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
};

}  // namespace crema

#endif  // CREMA_LAYERS_FLATTEN_LAYER_HPP_
