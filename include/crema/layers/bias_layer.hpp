// Bias: adds a bias, broadcast over bottom[0]. The bias is bottom[1] when
// given, else a learned blob (blobs_[0]) whose shape is bottom[0]'s axes
// [axis, axis + num_axes) (num_axes -1: through the last axis), filled by
// bias_param.filler (default constant 0). Works in place.
#ifndef CREMA_LAYERS_BIAS_LAYER_HPP_
#define CREMA_LAYERS_BIAS_LAYER_HPP_

#include <vector>

#include "crema/layer.hpp"

namespace crema {

class BiasLayer : public Layer {
 public:
  explicit BiasLayer(const LayerParameter& param) : Layer(param) {}
  const char* type() const override { return "Bias"; }
  void LayerSetUp(const std::vector<Blob*>& bottom,
                  const std::vector<Blob*>& top) override;
  void Reshape(const std::vector<Blob*>& bottom,
               const std::vector<Blob*>& top) override;
  int MinBottomBlobs() const override { return 1; }
  int MaxBottomBlobs() const override { return 2; }
  int ExactNumTopBlobs() const override { return 1; }

 protected:
  void Forward_cpu(const std::vector<Blob*>& bottom,
                   const std::vector<Blob*>& top) override;
  void Backward_cpu(const std::vector<Blob*>& top,
                    const std::vector<bool>& propagate_down,
                    const std::vector<Blob*>& bottom) override;

 private:
  // Creates and fills blobs_[0] with the shape bias_param asks for.
  void AddBiasBlob(const std::vector<Blob*>& bottom);

  int outer_dim_ = 0;  // product of bottom[0]'s axes before the bias's
  int bias_dim_ = 0;   // number of bias values
  int inner_dim_ = 0;  // product of bottom[0]'s axes after the bias's
};

}  // namespace crema

#endif  // CREMA_LAYERS_BIAS_LAYER_HPP_
