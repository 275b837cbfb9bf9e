// Parameter: exposes a learnable blob of parameter_param.shape as its top
// (sharing data and diff), so that a net can feed weights into layers that
// take them as bottoms. The blob starts at zero unless weights are loaded.
#ifndef CREMA_LAYERS_PARAMETER_LAYER_HPP_
#define CREMA_LAYERS_PARAMETER_LAYER_HPP_

#include <memory>
#include <vector>

#include "crema/layer.hpp"

namespace crema {

class ParameterLayer : public Layer {
 public:
  explicit ParameterLayer(const LayerParameter& param) : Layer(param) {}
  const char* type() const override { return "Parameter"; }
  void LayerSetUp(const std::vector<Blob*>& bottom,
                  const std::vector<Blob*>& top) override;
  void Reshape(const std::vector<Blob*>& bottom,
               const std::vector<Blob*>& top) override;
  int ExactNumBottomBlobs() const override { return 0; }
  int ExactNumTopBlobs() const override { return 1; }

 protected:
  void Forward_cpu(const std::vector<Blob*>& bottom,
                   const std::vector<Blob*>& top) override;
  void Backward_cpu(const std::vector<Blob*>& top,
                    const std::vector<bool>& propagate_down,
                    const std::vector<Blob*>& bottom) override;
};

}  // namespace crema

#endif  // CREMA_LAYERS_PARAMETER_LAYER_HPP_
