// Convolution: each output channel is a learned filter slid over the input
// (im2col + GEMM), plus an optional bias. Supports N-D spatial axes, pad,
// stride, dilation, groups (depthwise when group == channels) and several
// bottom/top pairs sharing one set of weights.
//
// Output size per spatial axis: (in + 2 * pad - (dilation * (k - 1) + 1)) /
// stride + 1. Weight: num_output x (channels / group) x kernel...;
// bias: num_output.
#ifndef CREMA_LAYERS_CONV_LAYER_HPP_
#define CREMA_LAYERS_CONV_LAYER_HPP_

#include <vector>

#include "crema/layers/base_conv_layer.hpp"

namespace crema {

class ConvolutionLayer : public BaseConvolutionLayer {
 public:
  explicit ConvolutionLayer(const LayerParameter& param)
      : BaseConvolutionLayer(param) {}
  const char* type() const override { return "Convolution"; }

 protected:
  bool reverse_dimensions() const override { return false; }
  void compute_output_shape() override;
  void Forward_cpu(const std::vector<Blob*>& bottom,
                   const std::vector<Blob*>& top) override;
  void Backward_cpu(const std::vector<Blob*>& top,
                    const std::vector<bool>& propagate_down,
                    const std::vector<Blob*>& bottom) override;
};

}  // namespace crema

#endif  // CREMA_LAYERS_CONV_LAYER_HPP_
