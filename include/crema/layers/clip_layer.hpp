// Clip: y = min(max(x, clip_param.min), clip_param.max). Works in place.
#ifndef CREMA_LAYERS_CLIP_LAYER_HPP_
#define CREMA_LAYERS_CLIP_LAYER_HPP_

#include <vector>

#include "crema/layer.hpp"

namespace crema {

class ClipLayer : public NeuronLayer {
 public:
  explicit ClipLayer(const LayerParameter& param) : NeuronLayer(param) {}
  const char* type() const override { return "Clip"; }
  void LayerSetUp(const std::vector<Blob*>& bottom,
                  const std::vector<Blob*>& top) override;

 protected:
  void Forward_cpu(const std::vector<Blob*>& bottom,
                   const std::vector<Blob*>& top) override;
  void Backward_cpu(const std::vector<Blob*>& top,
                    const std::vector<bool>& propagate_down,
                    const std::vector<Blob*>& bottom) override;

 private:
  Blob bottom_copy_;
    // the input, kept when working in place;
};

}  // namespace crema

#endif  // CREMA_LAYERS_CLIP_LAYER_HPP_
