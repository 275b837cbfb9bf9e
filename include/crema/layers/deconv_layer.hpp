// Deconvolution (transposed convolution): the gradient of Convolution used
// as a forward pass, for upsampling. Same ConvolutionParameter; each input
// value scatters a weighted copy of its filter into the output.
//
// Output size per spatial axis: stride * (in - 1) + dilation * (k - 1) + 1
// - 2 * pad. Weight: channels x (num_output / group) x kernel...;
// bias: num_output.
#ifndef CREMA_LAYERS_DECONV_LAYER_HPP_
#define CREMA_LAYERS_DECONV_LAYER_HPP_

#include <vector>

#include "crema/layers/base_conv_layer.hpp"

namespace crema {

class DeconvolutionLayer : public BaseConvolutionLayer {
 public:
  explicit DeconvolutionLayer(const LayerParameter& param)
      : BaseConvolutionLayer(param) {}
  const char* type() const override { return "Deconvolution"; }

 protected:
  bool reverse_dimensions() const override { return true; }
  void compute_output_shape() override;
  void Forward_cpu(const std::vector<Blob*>& bottom,
                   const std::vector<Blob*>& top) override;
  void Backward_cpu(const std::vector<Blob*>& top,
                    const std::vector<bool>& propagate_down,
                    const std::vector<Blob*>& bottom) override;
};

}  // namespace crema

#endif  // CREMA_LAYERS_DECONV_LAYER_HPP_
