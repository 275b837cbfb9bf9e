// Permute (SSD fork): reorders the axes of the bottom. permute_param.order
// lists the new order of the leading axes; axes it leaves out follow in
// their original order (order 0 2 3 1 turns N x C x H x W into
// N x H x W x C). Backward applies the inverse permutation.
#ifndef CREMA_LAYERS_PERMUTE_LAYER_HPP_
#define CREMA_LAYERS_PERMUTE_LAYER_HPP_

#include <vector>

#include "crema/layer.hpp"

namespace crema {

class PermuteLayer : public Layer {
 public:
  explicit PermuteLayer(const LayerParameter& param) : Layer(param) {}
  void Reshape(const std::vector<Blob*>& bottom,
               const std::vector<Blob*>& top) override;
  const char* type() const override { return "Permute"; }
  int ExactNumBottomBlobs() const override { return 1; }
  int ExactNumTopBlobs() const override { return 1; }

 protected:
  void Forward_cpu(const std::vector<Blob*>& bottom,
                   const std::vector<Blob*>& top) override;
  void Backward_cpu(const std::vector<Blob*>& top,
                    const std::vector<bool>& propagate_down,
                    const std::vector<Blob*>& bottom) override;

 private:
  // For each top element, the index of the bottom element it copies.
  std::vector<int> source_;
};

}  // namespace crema

#endif  // CREMA_LAYERS_PERMUTE_LAYER_HPP_
