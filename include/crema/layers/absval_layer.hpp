// AbsVal: y = |x|. Not in place (the gradient needs the input's sign).
#ifndef CREMA_LAYERS_ABSVAL_LAYER_HPP_
#define CREMA_LAYERS_ABSVAL_LAYER_HPP_

#include <vector>

#include "crema/layer.hpp"

namespace crema {

class AbsValLayer : public NeuronLayer {
 public:
  explicit AbsValLayer(const LayerParameter& param) : NeuronLayer(param) {}
  const char* type() const override { return "AbsVal"; }
  void LayerSetUp(const std::vector<Blob*>& bottom,
                  const std::vector<Blob*>& top) override;

 protected:
  void Forward_cpu(const std::vector<Blob*>& bottom,
                   const std::vector<Blob*>& top) override;
  void Backward_cpu(const std::vector<Blob*>& top,
                    const std::vector<bool>& propagate_down,
                    const std::vector<Blob*>& bottom) override;
};

}  // namespace crema

#endif  // CREMA_LAYERS_ABSVAL_LAYER_HPP_
