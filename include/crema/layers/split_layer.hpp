// Split: hands one bottom to several consumers. Every top shares the
// bottom's data; backward sums the tops' diffs into the bottom's diff. The
// net inserts these where a blob feeds more than one layer.
#ifndef CREMA_LAYERS_SPLIT_LAYER_HPP_
#define CREMA_LAYERS_SPLIT_LAYER_HPP_

#include <vector>

#include "crema/layer.hpp"

namespace crema {

class SplitLayer : public Layer {
 public:
  explicit SplitLayer(const LayerParameter& param) : Layer(param) {}
  const char* type() const override { return "Split"; }
  void Reshape(const std::vector<Blob*>& bottom,
               const std::vector<Blob*>& top) override;
  int ExactNumBottomBlobs() const override { return 1; }
  int MinTopBlobs() const override { return 1; }

 protected:
  void Forward_cpu(const std::vector<Blob*>& bottom,
                   const std::vector<Blob*>& top) override;
  void Backward_cpu(const std::vector<Blob*>& top,
                    const std::vector<bool>& propagate_down,
                    const std::vector<Blob*>& bottom) override;
};

}  // namespace crema

#endif  // CREMA_LAYERS_SPLIT_LAYER_HPP_
