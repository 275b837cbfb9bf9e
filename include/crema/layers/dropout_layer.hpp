// Dropout: in the TRAIN phase each element is kept with probability
// 1 - dropout_ratio and scaled by 1 / (1 - dropout_ratio), so the expected
// output equals the input; in the TEST phase the layer is the identity.
// Works in place.
#ifndef CREMA_LAYERS_DROPOUT_LAYER_HPP_
#define CREMA_LAYERS_DROPOUT_LAYER_HPP_

#include <vector>

#include "crema/layer.hpp"

namespace crema {

class DropoutLayer : public NeuronLayer {
 public:
  explicit DropoutLayer(const LayerParameter& param) : NeuronLayer(param) {}
  const char* type() const override { return "Dropout"; }
  void LayerSetUp(const std::vector<Blob*>& bottom,
                  const std::vector<Blob*>& top) override;
  void Reshape(const std::vector<Blob*>& bottom,
               const std::vector<Blob*>& top) override;

 protected:
  void Forward_cpu(const std::vector<Blob*>& bottom,
                   const std::vector<Blob*>& top) override;
  void Backward_cpu(const std::vector<Blob*>& top,
                    const std::vector<bool>& propagate_down,
                    const std::vector<Blob*>& bottom) override;

 private:
  float ratio_ = 0.5f;  // probability of dropping an element
  float scale_ = 2.f;   // 1 / (1 - ratio_)
  std::vector<unsigned int> mask_;  // 1 = kept, drawn in each TRAIN forward
};

}  // namespace crema

#endif  // CREMA_LAYERS_DROPOUT_LAYER_HPP_
