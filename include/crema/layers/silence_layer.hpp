// Silence: consumes its bottoms so they do not show up as net outputs.
// Backward writes zero diffs.
#ifndef CREMA_LAYERS_SILENCE_LAYER_HPP_
#define CREMA_LAYERS_SILENCE_LAYER_HPP_

#include <vector>

#include "crema/layer.hpp"

namespace crema {

class SilenceLayer : public Layer {
 public:
  explicit SilenceLayer(const LayerParameter& param) : Layer(param) {}
  const char* type() const override { return "Silence"; }
  void Reshape(const std::vector<Blob*>& bottom,
               const std::vector<Blob*>& top) override {}
  int MinBottomBlobs() const override { return 1; }
  int ExactNumTopBlobs() const override { return 0; }

 protected:
  void Forward_cpu(const std::vector<Blob*>& bottom,
                   const std::vector<Blob*>& top) override {}
  void Backward_cpu(const std::vector<Blob*>& top,
                    const std::vector<bool>& propagate_down,
                    const std::vector<Blob*>& bottom) override;
};

}  // namespace crema

#endif  // CREMA_LAYERS_SILENCE_LAYER_HPP_
