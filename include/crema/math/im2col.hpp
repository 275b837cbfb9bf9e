// im2col / col2im: rearrange image patches into the columns of a matrix so
// that a convolution becomes one matrix product (and back, for gradients).
//
// Layout (Caffe's): the column buffer is a (channels * prod(kernel)) x
// prod(output spatial) row-major matrix. Row r = (c * kernel_h + kh) *
// kernel_w + kw holds, for every output position, the input value the kernel
// tap (kh, kw) of channel c sees there, or 0 where it falls in the padding.
// Output spatial size per axis: (in + 2 * pad - (dilation * (k - 1) + 1)) /
// stride + 1.
#ifndef CREMA_MATH_IM2COL_HPP_
#define CREMA_MATH_IM2COL_HPP_

namespace crema {

// Output size of one spatial axis of a convolution.
inline int ConvOutputSize(int in, int kernel, int pad, int stride,
                          int dilation) {
  const int kernel_extent = dilation * (kernel - 1) + 1;
  return (in + 2 * pad - kernel_extent) / stride + 1;
}

// The same with different padding before (pad) and after (pad_end) the input.
inline int ConvOutputSize(int in, int kernel, int pad, int pad_end, int stride,
                          int dilation) {
  const int kernel_extent = dilation * (kernel - 1) + 1;
  return (in + pad + pad_end - kernel_extent) / stride + 1;
}

// 2-D: data_im is channels x height x width.
void im2col_cpu(const float* data_im, int channels, int height, int width,
                int kernel_h, int kernel_w, int pad_h, int pad_w, int stride_h,
                int stride_w, int dilation_h, int dilation_w, float* data_col);

// The adjoint of im2col_cpu: data_im is overwritten with the sum of every
// column entry that was read from each image position.
void col2im_cpu(const float* data_col, int channels, int height, int width,
                int kernel_h, int kernel_w, int pad_h, int pad_w, int stride_h,
                int stride_w, int dilation_h, int dilation_w, float* data_im);

// 2-D with per-side padding: top, left, bottom, right (output size per axis
// (in + pad_before + pad_after - extent) / stride + 1).
void im2col_cpu(const float* data_im, int channels, int height, int width,
                int kernel_h, int kernel_w, int pad_t, int pad_l, int pad_b,
                int pad_r, int stride_h, int stride_w, int dilation_h,
                int dilation_w, float* data_col);
void col2im_cpu(const float* data_col, int channels, int height, int width,
                int kernel_h, int kernel_w, int pad_t, int pad_l, int pad_b,
                int pad_r, int stride_h, int stride_w, int dilation_h,
                int dilation_w, float* data_im);

// N-D: data_im is channels x im_shape[0] x ... x im_shape[num_spatial_axes-1];
// kernel_shape, pad, stride and dilation hold one value per spatial axis.
void im2col_nd_cpu(const float* data_im, int num_spatial_axes, int channels,
                   const int* im_shape, const int* kernel_shape, const int* pad,
                   const int* stride, const int* dilation, float* data_col);

void col2im_nd_cpu(const float* data_col, int num_spatial_axes, int channels,
                   const int* im_shape, const int* kernel_shape, const int* pad,
                   const int* stride, const int* dilation, float* data_im);

}  // namespace crema

#endif  // CREMA_MATH_IM2COL_HPP_
