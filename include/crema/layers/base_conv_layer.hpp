// The machinery Convolution and Deconvolution share: reading
// ConvolutionParameter (kernel, stride, pad, dilation per spatial axis,
// group, axis), the learnable weight and bias, and the four im2col + GEMM
// products both directions are made of.
//
// crema's per-side padding (pad_t/pad_b/pad_l/pad_r, 2-D only) replaces pad
// on its side: pad_ holds the padding before each spatial axis, pad_end_
// the padding after it, and 2 * pad in the output-size rules becomes their
// sum.
//
// A convolution maps conv_in_channels to conv_out_channels; Deconvolution
// runs it backwards (reverse_dimensions() == true), so its "conv input" is
// its top and its "conv output" its bottom.
#ifndef CREMA_LAYERS_BASE_CONV_LAYER_HPP_
#define CREMA_LAYERS_BASE_CONV_LAYER_HPP_

#include <vector>

#include "crema/blob.hpp"
#include "crema/layer.hpp"

namespace crema {

class BaseConvolutionLayer : public Layer {
 public:
  explicit BaseConvolutionLayer(const LayerParameter& param) : Layer(param) {}
  void LayerSetUp(const std::vector<Blob*>& bottom,
                  const std::vector<Blob*>& top) override;
  void Reshape(const std::vector<Blob*>& bottom,
               const std::vector<Blob*>& top) override;

  // The geometry the parameters give, per spatial axis (once set up).
  const std::vector<int>& kernel_shape() const { return kernel_shape_; }
  const std::vector<int>& stride() const { return stride_; }
  const std::vector<int>& pad() const { return pad_; }  // before each axis
  const std::vector<int>& dilation() const { return dilation_; }
  int group() const { return group_; }
  int channel_axis() const { return channel_axis_; }

  // Several bottom/top pairs may share one set of weights.
  int MinBottomBlobs() const override { return 1; }
  int MinTopBlobs() const override { return 1; }
  bool EqualNumBottomTopBlobs() const override { return true; }

 protected:
  // Deconvolution: the GEMMs run in the opposite direction.
  virtual bool reverse_dimensions() const = 0;
  // Fills output_shape_ (spatial axes of the top) from the bottom's.
  virtual void compute_output_shape() = 0;

  // output = weights (*) input for one image; skip_im2col reuses the column
  // buffer already filled from this input.
  void forward_cpu_gemm(const float* input, const float* weights, float* output,
                        bool skip_im2col = false);
  // output += bias broadcast over the spatial positions.
  void forward_cpu_bias(float* output, const float* bias);
  // input = weights^T (*) output (the gradient of forward_cpu_gemm).
  void backward_cpu_gemm(const float* output, const float* weights,
                         float* input);
  // weights += output (*) im2col(input)^T.
  void weight_cpu_gemm(const float* input, const float* output, float* weights);
  // bias += output summed over the spatial positions.
  void backward_cpu_bias(float* bias, const float* output);

  // Spatial size of the bottom: bottom_shape_[channel_axis_ + 1 + i].
  int input_shape(int i) const { return bottom_shape_[channel_axis_ + 1 + i]; }

  // Per spatial axis.
  std::vector<int> kernel_shape_, stride_, pad_, dilation_;
  std::vector<int> pad_end_;  // padding after each spatial axis
  std::vector<int> output_shape_;  // the top's spatial shape
  std::vector<int> bottom_shape_;  // the whole bottom shape
  int num_spatial_axes_ = 0;
  int channel_axis_ = 1;
  int num_ = 0;       // images: bottom count before channel_axis_
  int channels_ = 0;  // bottom channels
  int num_output_ = 0;
  int group_ = 1;
  int bottom_dim_ = 0;  // per-image sizes of bottom and top
  int top_dim_ = 0;
  int out_spatial_dim_ = 0;  // top spatial count (for the bias)
  bool bias_term_ = true;
  bool is_1x1_ = false;
  bool force_nd_im2col_ = false;

 private:
  void ReadKernelGeometry(const ConvolutionParameter& param);
  void SetUpWeights(const ConvolutionParameter& param);
  void conv_im2col_cpu(const float* data, float* col_buff);
  void conv_col2im_cpu(const float* col_buff, float* data);

  int conv_out_channels_ = 0;
  int conv_in_channels_ = 0;
  int conv_out_spatial_dim_ = 0;
  std::vector<int> conv_input_spatial_shape_;
  int kernel_dim_ = 0;     // conv_in_channels / group * prod(kernel)
  int weight_offset_ = 0;  // per-group strides
  int col_offset_ = 0;
  int output_offset_ = 0;
  Blob col_buffer_;
  Blob bias_multiplier_;
};

}  // namespace crema

#endif  // CREMA_LAYERS_BASE_CONV_LAYER_HPP_
