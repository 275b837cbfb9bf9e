#include "crema/layers/im2col_layer.hpp"

#include "crema/layer_registry.hpp"
#include "crema/math/im2col.hpp"

namespace crema {

void Im2colLayer::LayerSetUp(const std::vector<Blob*>& bottom,
                             const std::vector<Blob*>& top) {
  const ConvolutionParameter& p = layer_param_.convolution_param();
  force_nd_im2col_ = p.force_nd_im2col();
  channel_axis_ = bottom[0]->CanonicalAxisIndex(p.axis());
  num_spatial_axes_ = bottom[0]->num_axes() - channel_axis_ - 1;
  const int axes = num_spatial_axes_;
  if (axes < 1) {
    Fail("bottom ", bottom[0]->shape_string(),
         " has no spatial axes after "
         "the channel axis ",
         channel_axis_, ".");
  }
  // kernel/stride/pad: the 2-D _h/_w pair or repeated values (once, or once
  // per spatial axis); dilation: repeated only.
  auto read = [&](const char* name, bool has_hw, int h, int w,
                  const google::protobuf::RepeatedField<uint32_t>& values,
                  int default_value, bool has_default) {
    if (has_hw) {
      if (axes != 2) Fail(name, "_h/", name, "_w need exactly 2 spatial axes.");
      if (values.size() != 0)
        Fail("give either ", name, " or ", name, "_h/_w, not both.");
      return std::vector<int>{h, w};
    }
    const int n = values.size();
    if (n == 0 && has_default) return std::vector<int>(axes, default_value);
    if (n != 1 && n != axes) {
      Fail(name, " must be given once, or once per spatial axis (", axes, ").");
    }
    std::vector<int> out(axes);
    for (int i = 0; i < axes; ++i)
      out[i] = static_cast<int>(values[n == 1 ? 0 : i]);
    return out;
  };
  kernel_shape_ = read("kernel", p.has_kernel_h() || p.has_kernel_w(),
                       p.kernel_h(), p.kernel_w(), p.kernel_size(), 0, false);
  stride_ = read("stride", p.has_stride_h() || p.has_stride_w(), p.stride_h(),
                 p.stride_w(), p.stride(), 1, true);
  pad_ = read("pad", p.has_pad_h() || p.has_pad_w(), p.pad_h(), p.pad_w(),
              p.pad(), 0, true);
  dilation_ = read("dilation", false, 0, 0, p.dilation(), 1, true);
  for (int i = 0; i < axes; ++i) {
    if (kernel_shape_[i] <= 0) Fail("kernel dimensions must be nonzero.");
    if (stride_[i] <= 0) Fail("stride dimensions must be nonzero.");
    if (dilation_[i] <= 0) Fail("dilation dimensions must be nonzero.");
  }
}

void Im2colLayer::Reshape(const std::vector<Blob*>& bottom,
                          const std::vector<Blob*>& top) {
  const Blob& in = *bottom[0];
  if (in.num_axes() != channel_axis_ + 1 + num_spatial_axes_) {
    Fail("bottom ", in.shape_string(),
         " must keep the number of axes it had at setup.");
  }
  num_ = in.count(0, channel_axis_);
  channels_ = in.shape(channel_axis_);
  im_shape_.assign(in.shape().begin() + channel_axis_ + 1, in.shape().end());
  std::vector<int> top_shape(in.shape().begin(),
                             in.shape().begin() + channel_axis_);
  int kernel_count = 1;
  for (int k : kernel_shape_) kernel_count *= k;
  top_shape.push_back(channels_ * kernel_count);
  for (int i = 0; i < num_spatial_axes_; ++i) {
    const int out = ConvOutputSize(im_shape_[i], kernel_shape_[i], pad_[i],
                                   stride_[i], dilation_[i]);
    if (out <= 0) {
      Fail("spatial axis ", i, " of bottom ", in.shape_string(),
           " is too small for kernel ", kernel_shape_[i], " (pad ", pad_[i],
           ", dilation ", dilation_[i], ").");
    }
    top_shape.push_back(out);
  }
  top[0]->Reshape(top_shape);
  bottom_dim_ = in.count(channel_axis_);
  top_dim_ = top[0]->count(channel_axis_);
}

void Im2colLayer::Forward_cpu(const std::vector<Blob*>& bottom,
                              const std::vector<Blob*>& top) {
  const float* in = bottom[0]->cpu_data();
  float* out = top[0]->mutable_cpu_data();
  for (int n = 0; n < num_; ++n) {
    if (!force_nd_im2col_ && num_spatial_axes_ == 2) {
      im2col_cpu(in + n * bottom_dim_, channels_, im_shape_[0], im_shape_[1],
                 kernel_shape_[0], kernel_shape_[1], pad_[0], pad_[1],
                 stride_[0], stride_[1], dilation_[0], dilation_[1],
                 out + n * top_dim_);
    } else {
      im2col_nd_cpu(in + n * bottom_dim_, num_spatial_axes_, channels_,
                    im_shape_.data(), kernel_shape_.data(), pad_.data(),
                    stride_.data(), dilation_.data(), out + n * top_dim_);
    }
  }
}

void Im2colLayer::Backward_cpu(const std::vector<Blob*>& top,
                               const std::vector<bool>& propagate_down,
                               const std::vector<Blob*>& bottom) {
  if (!propagate_down[0]) return;
  const float* top_diff = top[0]->cpu_diff();
  float* diff = bottom[0]->mutable_cpu_diff();
  for (int n = 0; n < num_; ++n) {
    if (!force_nd_im2col_ && num_spatial_axes_ == 2) {
      col2im_cpu(top_diff + n * top_dim_, channels_, im_shape_[0], im_shape_[1],
                 kernel_shape_[0], kernel_shape_[1], pad_[0], pad_[1],
                 stride_[0], stride_[1], dilation_[0], dilation_[1],
                 diff + n * bottom_dim_);
    } else {
      col2im_nd_cpu(top_diff + n * top_dim_, num_spatial_axes_, channels_,
                    im_shape_.data(), kernel_shape_.data(), pad_.data(),
                    stride_.data(), dilation_.data(), diff + n * bottom_dim_);
    }
  }
}

CREMA_REGISTER_LAYER("Im2col", Im2colLayer);

}  // namespace crema
