#include "crema/math/im2col.hpp"

#include <algorithm>
#include <vector>

#include "crema/math/math_functions.hpp"

namespace crema {
namespace {

// Visits every entry of the 2-D column buffer in order, calling
// visit(col_index, im_index) where im_index is the image offset the entry
// mirrors, or -1 when it lies in the zero padding. im2col and col2im are
// both this walk, so each is exactly the adjoint of the other. pad_h/pad_w
// pad the top and left; pad_b/pad_r the bottom and right.
template <typename Visit>
void ForEachColumnEntry2D(int channels, int height, int width, int kernel_h,
                          int kernel_w, int pad_h, int pad_w, int pad_b,
                          int pad_r, int stride_h, int stride_w,
                          int dilation_h, int dilation_w, Visit visit) {
  const int out_h =
      ConvOutputSize(height, kernel_h, pad_h, pad_b, stride_h, dilation_h);
  const int out_w =
      ConvOutputSize(width, kernel_w, pad_w, pad_r, stride_w, dilation_w);
  int col_index = 0;
  for (int c = 0; c < channels; ++c) {
    const int plane = c * height * width;
    for (int kh = 0; kh < kernel_h; ++kh) {
      for (int kw = 0; kw < kernel_w; ++kw) {
        for (int oh = 0; oh < out_h; ++oh) {
          const int h = oh * stride_h - pad_h + kh * dilation_h;
          const bool row_inside = h >= 0 && h < height;
          for (int ow = 0; ow < out_w; ++ow, ++col_index) {
            const int w = ow * stride_w - pad_w + kw * dilation_w;
            const bool inside = row_inside && w >= 0 && w < width;
            visit(col_index, inside ? plane + h * width + w : -1);
          }
        }
      }
    }
  }
}

// The N-D walk: column row r = c * prod(kernel) + (kernel offset, last axis
// fastest); column = output position (last axis fastest).
template <typename Visit>
void ForEachColumnEntryND(int num_axes, int channels, const int* im_shape,
                          const int* kernel_shape, const int* pad,
                          const int* stride, const int* dilation, Visit visit) {
  std::vector<int> out_shape(num_axes);
  int kernel_count = 1, out_count = 1, im_count = 1;
  for (int a = 0; a < num_axes; ++a) {
    out_shape[a] = ConvOutputSize(im_shape[a], kernel_shape[a], pad[a],
                                  stride[a], dilation[a]);
    kernel_count *= kernel_shape[a];
    out_count *= out_shape[a];
    im_count *= im_shape[a];
  }
  if (kernel_count <= 0 || out_count <= 0) return;
  std::vector<int> kernel_pos(num_axes), out_pos(num_axes);
  int col_index = 0;
  for (int row = 0; row < channels * kernel_count; ++row) {
    const int c = row / kernel_count;
    // Kernel offset of this row, last axis fastest.
    for (int a = num_axes - 1, rest = row % kernel_count; a >= 0; --a) {
      kernel_pos[a] = rest % kernel_shape[a];
      rest /= kernel_shape[a];
    }
    std::fill(out_pos.begin(), out_pos.end(), 0);
    for (int col = 0; col < out_count; ++col, ++col_index) {
      int im_index = 0;
      bool inside = true;
      for (int a = 0; a < num_axes && inside; ++a) {
        const int x =
            out_pos[a] * stride[a] - pad[a] + kernel_pos[a] * dilation[a];
        inside = x >= 0 && x < im_shape[a];
        im_index = im_index * im_shape[a] + x;
      }
      visit(col_index, inside ? c * im_count + im_index : -1);
      // Advance the output position like an odometer.
      for (int a = num_axes - 1; a >= 0; --a) {
        if (++out_pos[a] < out_shape[a]) break;
        out_pos[a] = 0;
      }
    }
  }
}

}  // namespace

void im2col_cpu(const float* data_im, int channels, int height, int width,
                int kernel_h, int kernel_w, int pad_h, int pad_w, int stride_h,
                int stride_w, int dilation_h, int dilation_w, float* data_col) {
  im2col_cpu(data_im, channels, height, width, kernel_h, kernel_w, pad_h,
             pad_w, pad_h, pad_w, stride_h, stride_w, dilation_h, dilation_w,
             data_col);
}

void im2col_cpu(const float* data_im, int channels, int height, int width,
                int kernel_h, int kernel_w, int pad_t, int pad_l, int pad_b,
                int pad_r, int stride_h, int stride_w, int dilation_h,
                int dilation_w, float* data_col) {
  ForEachColumnEntry2D(
      channels, height, width, kernel_h, kernel_w, pad_t, pad_l, pad_b, pad_r,
      stride_h, stride_w, dilation_h, dilation_w,
      [&](int col, int im) { data_col[col] = im >= 0 ? data_im[im] : 0.f; });
}

void col2im_cpu(const float* data_col, int channels, int height, int width,
                int kernel_h, int kernel_w, int pad_h, int pad_w, int stride_h,
                int stride_w, int dilation_h, int dilation_w, float* data_im) {
  col2im_cpu(data_col, channels, height, width, kernel_h, kernel_w, pad_h,
             pad_w, pad_h, pad_w, stride_h, stride_w, dilation_h, dilation_w,
             data_im);
}

void col2im_cpu(const float* data_col, int channels, int height, int width,
                int kernel_h, int kernel_w, int pad_t, int pad_l, int pad_b,
                int pad_r, int stride_h, int stride_w, int dilation_h,
                int dilation_w, float* data_im) {
  cpu_zero(channels * height * width, data_im);
  ForEachColumnEntry2D(channels, height, width, kernel_h, kernel_w, pad_t,
                       pad_l, pad_b, pad_r, stride_h, stride_w, dilation_h,
                       dilation_w, [&](int col, int im) {
                         if (im >= 0) data_im[im] += data_col[col];
                       });
}

void im2col_nd_cpu(const float* data_im, int num_spatial_axes, int channels,
                   const int* im_shape, const int* kernel_shape, const int* pad,
                   const int* stride, const int* dilation, float* data_col) {
  ForEachColumnEntryND(
      num_spatial_axes, channels, im_shape, kernel_shape, pad, stride, dilation,
      [&](int col, int im) { data_col[col] = im >= 0 ? data_im[im] : 0.f; });
}

void col2im_nd_cpu(const float* data_col, int num_spatial_axes, int channels,
                   const int* im_shape, const int* kernel_shape, const int* pad,
                   const int* stride, const int* dilation, float* data_im) {
  int im_count = channels;
  for (int a = 0; a < num_spatial_axes; ++a) im_count *= im_shape[a];
  cpu_zero(im_count, data_im);
  ForEachColumnEntryND(num_spatial_axes, channels, im_shape, kernel_shape, pad,
                       stride, dilation, [&](int col, int im) {
                         if (im >= 0) data_im[im] += data_col[col];
                       });
}

}  // namespace crema
