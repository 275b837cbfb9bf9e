#include "crema/layers/base_conv_layer.hpp"

#include "crema/filler.hpp"
#include "crema/math/im2col.hpp"
#include "crema/math/math_functions.hpp"

namespace crema {

void BaseConvolutionLayer::LayerSetUp(const std::vector<Blob*>& bottom,
                                      const std::vector<Blob*>& top) {
  const ConvolutionParameter& param = layer_param_.convolution_param();
  force_nd_im2col_ = param.force_nd_im2col();
  channel_axis_ = bottom[0]->CanonicalAxisIndex(param.axis());
  num_spatial_axes_ = bottom[0]->num_axes() - channel_axis_ - 1;
  ReadKernelGeometry(param);

  // A 1x1 kernel with unit stride and no padding reads the input as it is.
  is_1x1_ = true;
  for (int i = 0; i < num_spatial_axes_; ++i) {
    is_1x1_ &= kernel_shape_[i] == 1 && stride_[i] == 1 && pad_[i] == 0 &&
               pad_end_[i] == 0;
  }

  channels_ = bottom[0]->shape(channel_axis_);
  num_output_ = static_cast<int>(param.num_output());
  group_ = static_cast<int>(param.group());
  if (num_output_ <= 0) Fail("num_output must be positive.");
  if (group_ <= 0) Fail("group must be positive.");
  if (channels_ % group_ != 0) {
    Fail("the input channels (", channels_, ", axis ", channel_axis_,
         " of bottom ", bottom[0]->shape_string(),
         ") must be a multiple of group (", group_, ").");
  }
  if (num_output_ % group_ != 0) {
    Fail("num_output (", num_output_, ") must be a multiple of group (", group_,
         ").");
  }
  if (reverse_dimensions()) {
    conv_out_channels_ = channels_;
    conv_in_channels_ = num_output_;
  } else {
    conv_out_channels_ = num_output_;
    conv_in_channels_ = channels_;
  }
  bias_term_ = param.bias_term();
  SetUpWeights(param);
  kernel_dim_ = blobs_[0]->count(1);
  weight_offset_ = conv_out_channels_ * kernel_dim_ / group_;
  param_propagate_down_.assign(blobs_.size(), true);
}

// Kernel, stride, pad and dilation: either the 2-D name_h/name_w pair or a
// repeated value given once (all axes) or once per spatial axis.
void BaseConvolutionLayer::ReadKernelGeometry(
    const ConvolutionParameter& param) {
  const int axes = num_spatial_axes_;
  auto read = [&](const char* name, const char* hw_name, bool has_hw, int h,
                  int w,
                  const google::protobuf::RepeatedField<uint32_t>& values,
                  int default_value, bool has_default) {
    if (has_hw) {
      if (axes != 2) {
        Fail(hw_name, "_h and ", hw_name,
             "_w can only be used for 2-D "
             "convolution; this one has ",
             axes, " spatial axes. Use repeated ", name, " values instead.");
      }
      if (values.size() != 0) {
        Fail("give either ", name, " or ", hw_name, "_h/", hw_name,
             "_w, not both.");
      }
      return std::vector<int>{h, w};
    }
    const int n = values.size();
    if (n == 0 && has_default) return std::vector<int>(axes, default_value);
    if (n != 1 && n != axes) {
      Fail(name, " must be given once, or once per spatial axis (", name,
           " given ", n, " times; ", axes, " spatial axes).");
    }
    std::vector<int> out(axes);
    for (int i = 0; i < axes; ++i)
      out[i] = static_cast<int>(values[n == 1 ? 0 : i]);
    return out;
  };
  kernel_shape_ = read(
      "kernel_size", "kernel", param.has_kernel_h() || param.has_kernel_w(),
      param.kernel_h(), param.kernel_w(), param.kernel_size(), 0, false);
  stride_ =
      read("stride", "stride", param.has_stride_h() || param.has_stride_w(),
           param.stride_h(), param.stride_w(), param.stride(), 1, true);
  pad_ = read("pad", "pad", param.has_pad_h() || param.has_pad_w(),
              param.pad_h(), param.pad_w(), param.pad(), 0, true);
  dilation_ =
      read("dilation", "dilation", false, 0, 0, param.dilation(), 1, true);
  pad_end_ = pad_;
  const bool per_side = param.has_pad_t() || param.has_pad_b() ||
                        param.has_pad_l() || param.has_pad_r();
  if (per_side) {
    if (axes != 2 || force_nd_im2col_) {
      Fail("pad_t/pad_b/pad_l/pad_r need 2-D convolution without "
           "force_nd_im2col; this one has ", axes, " spatial axes.");
    }
    if (param.has_pad_t()) pad_[0] = static_cast<int>(param.pad_t());
    if (param.has_pad_l()) pad_[1] = static_cast<int>(param.pad_l());
    if (param.has_pad_b()) pad_end_[0] = static_cast<int>(param.pad_b());
    if (param.has_pad_r()) pad_end_[1] = static_cast<int>(param.pad_r());
  }
  for (int i = 0; i < axes; ++i) {
    if (kernel_shape_[i] <= 0) Fail("kernel dimensions must be nonzero.");
    if (stride_[i] <= 0) Fail("stride dimensions must be nonzero.");
    if (dilation_[i] <= 0) Fail("dilation dimensions must be nonzero.");
  }
}

// Weight: conv_out_channels x (conv_in_channels / group) x kernel...;
// bias: num_output. Weights loaded from a model file are checked, not filled.
void BaseConvolutionLayer::SetUpWeights(const ConvolutionParameter& param) {
  std::vector<int> weight_shape = {conv_out_channels_,
                                   conv_in_channels_ / group_};
  weight_shape.insert(weight_shape.end(), kernel_shape_.begin(),
                      kernel_shape_.end());
  const std::vector<int> bias_shape = {num_output_};
  const size_t expected_blobs = bias_term_ ? 2 : 1;
  if (!blobs_.empty()) {
    if (blobs_.size() != expected_blobs) {
      Fail("has ", blobs_.size(), " parameter blobs but expects ",
           expected_blobs, " (weights", bias_term_ ? " and bias" : "",
           "; bias_term is ", bias_term_ ? "true" : "false", ").");
    }
    if (blobs_[0]->shape() != weight_shape) {
      Fail("weight blob has shape ", blobs_[0]->shape_string(), " but ",
           ShapeString(weight_shape), " is expected.");
    }
    // Legacy models store the bias as 1 x 1 x 1 x num_output.
    if (bias_term_ && blobs_[1]->count() != num_output_) {
      Fail("bias blob has shape ", blobs_[1]->shape_string(), " but ",
           ShapeString(bias_shape), " is expected.");
    }
    return;
  }
  blobs_.push_back(std::make_shared<Blob>(weight_shape));
  GetFiller(param.weight_filler())->Fill(blobs_[0].get());
  if (bias_term_) {
    blobs_.push_back(std::make_shared<Blob>(bias_shape));
    GetFiller(param.bias_filler())->Fill(blobs_[1].get());
  }
}

void BaseConvolutionLayer::Reshape(const std::vector<Blob*>& bottom,
                                   const std::vector<Blob*>& top) {
  const int first_spatial_axis = channel_axis_ + 1;
  if (bottom[0]->num_axes() != first_spatial_axis + num_spatial_axes_) {
    Fail("bottom ", bottom[0]->shape_string(), " has ", bottom[0]->num_axes(),
         " axes, but the layer was set up for ",
         first_spatial_axis + num_spatial_axes_,
         "; the number of axes may not change.");
  }
  if (bottom[0]->shape(channel_axis_) != channels_) {
    Fail("bottom ", bottom[0]->shape_string(), " has ",
         bottom[0]->shape(channel_axis_),
         " channels, but the weights were set up for ", channels_, ".");
  }
  for (size_t i = 1; i < bottom.size(); ++i) {
    if (bottom[i]->shape() != bottom[0]->shape()) {
      Fail("all bottoms must have the same shape; bottom 0 is ",
           bottom[0]->shape_string(), " but bottom ", i, " is ",
           bottom[i]->shape_string(), ".");
    }
  }
  num_ = bottom[0]->count(0, channel_axis_);
  bottom_shape_ = bottom[0]->shape();
  compute_output_shape();
  for (int i = 0; i < num_spatial_axes_; ++i) {
    if (output_shape_[i] <= 0) {
      Fail("spatial axis ", i, " of the top would have size ", output_shape_[i],
           " for bottom ", bottom[0]->shape_string(), " (kernel ",
           kernel_shape_[i], ", dilation ", dilation_[i], ", pad ", pad_[i],
           pad_end_[i] != pad_[i] ? StrCat(" + ", pad_end_[i]) : std::string(),
           ", stride ", stride_[i], "); it must be positive.");
    }
  }
  std::vector<int> top_shape(bottom_shape_.begin(),
                             bottom_shape_.begin() + channel_axis_);
  top_shape.push_back(num_output_);
  top_shape.insert(top_shape.end(), output_shape_.begin(), output_shape_.end());
  for (Blob* t : top) t->Reshape(top_shape);

  // The convolution runs from conv input to conv output: bottom to top, or
  // top to bottom for Deconvolution.
  const Blob* conv_input = reverse_dimensions() ? top[0] : bottom[0];
  const Blob* conv_output = reverse_dimensions() ? bottom[0] : top[0];
  conv_out_spatial_dim_ = conv_output->count(first_spatial_axis);
  conv_input_spatial_shape_.assign(
      conv_input->shape().begin() + first_spatial_axis,
      conv_input->shape().end());
  col_offset_ = kernel_dim_ * conv_out_spatial_dim_;
  output_offset_ = conv_out_channels_ * conv_out_spatial_dim_ / group_;
  bottom_dim_ = bottom[0]->count(channel_axis_);
  top_dim_ = top[0]->count(channel_axis_);
  out_spatial_dim_ = top[0]->count(first_spatial_axis);

  col_buffer_.Reshape({kernel_dim_ * group_, conv_out_spatial_dim_});
  if (bias_term_) {
    bias_multiplier_.Reshape({out_spatial_dim_});
    cpu_set(out_spatial_dim_, 1.f, bias_multiplier_.mutable_cpu_data());
  }
}

void BaseConvolutionLayer::conv_im2col_cpu(const float* data, float* col_buff) {
  const std::vector<int>& im = conv_input_spatial_shape_;
  if (!force_nd_im2col_ && num_spatial_axes_ == 2) {
    im2col_cpu(data, conv_in_channels_, im[0], im[1], kernel_shape_[0],
               kernel_shape_[1], pad_[0], pad_[1], pad_end_[0], pad_end_[1],
               stride_[0], stride_[1], dilation_[0], dilation_[1], col_buff);
  } else {
    im2col_nd_cpu(data, num_spatial_axes_, conv_in_channels_, im.data(),
                  kernel_shape_.data(), pad_.data(), stride_.data(),
                  dilation_.data(), col_buff);
  }
}

void BaseConvolutionLayer::conv_col2im_cpu(const float* col_buff, float* data) {
  const std::vector<int>& im = conv_input_spatial_shape_;
  if (!force_nd_im2col_ && num_spatial_axes_ == 2) {
    col2im_cpu(col_buff, conv_in_channels_, im[0], im[1], kernel_shape_[0],
               kernel_shape_[1], pad_[0], pad_[1], pad_end_[0], pad_end_[1],
               stride_[0], stride_[1], dilation_[0], dilation_[1], data);
  } else {
    col2im_nd_cpu(col_buff, num_spatial_axes_, conv_in_channels_, im.data(),
                  kernel_shape_.data(), pad_.data(), stride_.data(),
                  dilation_.data(), data);
  }
}

void BaseConvolutionLayer::forward_cpu_gemm(const float* input,
                                            const float* weights, float* output,
                                            bool skip_im2col) {
  const float* col_buff = input;
  if (!is_1x1_) {
    if (!skip_im2col) conv_im2col_cpu(input, col_buffer_.mutable_cpu_data());
    col_buff = col_buffer_.cpu_data();
  }
  for (int g = 0; g < group_; ++g) {
    cpu_gemm(CblasNoTrans, CblasNoTrans, conv_out_channels_ / group_,
             conv_out_spatial_dim_, kernel_dim_, 1.f,
             weights + weight_offset_ * g, col_buff + col_offset_ * g, 0.f,
             output + output_offset_ * g);
  }
}

void BaseConvolutionLayer::forward_cpu_bias(float* output, const float* bias) {
  cpu_gemm(CblasNoTrans, CblasNoTrans, num_output_, out_spatial_dim_, 1, 1.f,
           bias, bias_multiplier_.cpu_data(), 1.f, output);
}

void BaseConvolutionLayer::backward_cpu_gemm(const float* output,
                                             const float* weights,
                                             float* input) {
  float* col_buff = is_1x1_ ? input : col_buffer_.mutable_cpu_data();
  for (int g = 0; g < group_; ++g) {
    cpu_gemm(CblasTrans, CblasNoTrans, kernel_dim_, conv_out_spatial_dim_,
             conv_out_channels_ / group_, 1.f, weights + weight_offset_ * g,
             output + output_offset_ * g, 0.f, col_buff + col_offset_ * g);
  }
  if (!is_1x1_) conv_col2im_cpu(col_buff, input);
}

void BaseConvolutionLayer::weight_cpu_gemm(const float* input,
                                           const float* output,
                                           float* weights) {
  const float* col_buff = input;
  if (!is_1x1_) {
    conv_im2col_cpu(input, col_buffer_.mutable_cpu_data());
    col_buff = col_buffer_.cpu_data();
  }
  for (int g = 0; g < group_; ++g) {
    cpu_gemm(CblasNoTrans, CblasTrans, conv_out_channels_ / group_, kernel_dim_,
             conv_out_spatial_dim_, 1.f, output + output_offset_ * g,
             col_buff + col_offset_ * g, 1.f, weights + weight_offset_ * g);
  }
}

void BaseConvolutionLayer::backward_cpu_bias(float* bias, const float* output) {
  cpu_gemv(CblasNoTrans, num_output_, out_spatial_dim_, 1.f, output,
           bias_multiplier_.cpu_data(), 1.f, bias);
}

}  // namespace crema
