// Input: declares tops that are filled from outside the net (deploy nets,
// tools feeding images). input_param.shape gives one shape for every top or
// one shape per top; without shapes the tops are left as they are.
#ifndef CREMA_LAYERS_INPUT_LAYER_HPP_
#define CREMA_LAYERS_INPUT_LAYER_HPP_

#include <vector>

#include "crema/layer.hpp"

namespace crema {

class InputLayer : public Layer {
 public:
  explicit InputLayer(const LayerParameter& param) : Layer(param) {}
  const char* type() const override { return "Input"; }
  void LayerSetUp(const std::vector<Blob*>& bottom,
                  const std::vector<Blob*>& top) override;
  // The tops keep whatever shape their feeder gives them.
  void Reshape(const std::vector<Blob*>& bottom,
               const std::vector<Blob*>& top) override {}
  int ExactNumBottomBlobs() const override { return 0; }
  int MinTopBlobs() const override { return 1; }

 protected:
  void Forward_cpu(const std::vector<Blob*>& bottom,
                   const std::vector<Blob*>& top) override {}
  void Backward_cpu(const std::vector<Blob*>& top,
                    const std::vector<bool>& propagate_down,
                    const std::vector<Blob*>& bottom) override {}
};

}  // namespace crema

#endif  // CREMA_LAYERS_INPUT_LAYER_HPP_
