#include <gtest/gtest.h>

#include <numeric>
#include <vector>

#include "crema/math/im2col.hpp"
#include "crema/math/math_functions.hpp"

namespace crema {
namespace {

std::vector<float> Iota(int n, float start = 1.f) {
  std::vector<float> v(n);
  std::iota(v.begin(), v.end(), start);
  return v;
}

std::vector<float> Random(int n) {
  std::vector<float> v(n);
  rng_uniform(n, -1.f, 1.f, v.data());
  return v;
}

TEST(Im2colTest, OutputSize) {
  EXPECT_EQ(2, ConvOutputSize(3, 2, 0, 1, 1));
  EXPECT_EQ(2, ConvOutputSize(3, 3, 1, 2, 1));
  EXPECT_EQ(3, ConvOutputSize(7, 3, 0, 2, 1));  // (7 - 3) / 2 + 1
  EXPECT_EQ(3, ConvOutputSize(8, 3, 0, 2, 1));  // floor((8 - 3) / 2) + 1
  EXPECT_EQ(2, ConvOutputSize(4, 2, 0, 1, 2));  // extent 3
  EXPECT_EQ(5, ConvOutputSize(5, 3, 2, 1, 2));  // extent 5, pad 2
}

// 3x3 image 1..9, 2x2 kernel, stride 1, no pad: 4 rows (one per kernel tap)
// of 4 columns (one per output position).
TEST(Im2colTest, Simple2D) {
  const std::vector<float> im = Iota(9);
  std::vector<float> col(16, -1.f);
  im2col_cpu(im.data(), 1, 3, 3, 2, 2, 0, 0, 1, 1, 1, 1, col.data());
  const std::vector<float> expected = {1, 2, 4, 5, 2, 3, 5, 6,
                                       4, 5, 7, 8, 5, 6, 8, 9};
  EXPECT_EQ(expected, col);
}

// 3x3 kernel, pad 1, stride 2 on a 3x3 image: 2x2 outputs whose windows
// start at (-1, -1), (-1, 1), (1, -1), (1, 1).
TEST(Im2colTest, PadAndStride2D) {
  const std::vector<float> im = Iota(9);
  std::vector<float> col(9 * 4, -1.f);
  im2col_cpu(im.data(), 1, 3, 3, 3, 3, 1, 1, 2, 2, 1, 1, col.data());
  auto row = [&](int kh, int kw) {
    const int r = kh * 3 + kw;
    return std::vector<float>(col.begin() + r * 4, col.begin() + r * 4 + 4);
  };
  EXPECT_EQ((std::vector<float>{0, 0, 0, 5}), row(0, 0));
  EXPECT_EQ((std::vector<float>{0, 2, 0, 8}), row(1, 0));
  EXPECT_EQ((std::vector<float>{1, 3, 7, 9}), row(1, 1));
  EXPECT_EQ((std::vector<float>{5, 0, 0, 0}), row(2, 2));
  EXPECT_EQ((std::vector<float>{0, 0, 4, 6}), row(0, 1));
}

// 4x4 image 1..16, 2x2 kernel with dilation 2: taps 2 apart.
TEST(Im2colTest, Dilation2D) {
  const std::vector<float> im = Iota(16);
  std::vector<float> col(4 * 4, -1.f);
  im2col_cpu(im.data(), 1, 4, 4, 2, 2, 0, 0, 1, 1, 2, 2, col.data());
  const std::vector<float> expected = {1, 2,  5,  6,  3,  4,  7,  8,
                                       9, 10, 13, 14, 11, 12, 15, 16};
  EXPECT_EQ(expected, col);
}

// Rows are ordered channel-major: (c * kernel_h + kh) * kernel_w + kw.
TEST(Im2colTest, ChannelsAreRowBlocks) {
  const std::vector<float> im = Iota(2 * 2 * 2);  // 2 channels of 2x2
  std::vector<float> col(2 * 4 * 1, -1.f);
  im2col_cpu(im.data(), 2, 2, 2, 2, 2, 0, 0, 1, 1, 1, 1, col.data());
  EXPECT_EQ((std::vector<float>{1, 2, 3, 4, 5, 6, 7, 8}), col);
}

// Every pixel of a 3x3 image is seen by 4 (corner), 6 (edge) or 9 (centre)
// windows of a padded 3x3 kernel.
TEST(Im2colTest, Col2imSumsOverlaps) {
  std::vector<float> col(9 * 9, 1.f);
  std::vector<float> im(9, -5.f);
  col2im_cpu(col.data(), 1, 3, 3, 3, 3, 1, 1, 1, 1, 1, 1, im.data());
  EXPECT_EQ((std::vector<float>{4, 6, 4, 6, 9, 6, 4, 6, 4}), im);
}

// col2im is the adjoint of im2col: <im2col(x), y> == <x, col2im(y)>.
TEST(Im2colTest, Col2imIsAdjoint2D) {
  const int channels = 2, height = 5, width = 4;
  const int kh = 3, kw = 2, ph = 1, pw = 1, sh = 2, sw = 1, dh = 1, dw = 2;
  const int out = ConvOutputSize(height, kh, ph, sh, dh) *
                  ConvOutputSize(width, kw, pw, sw, dw);
  const int col_count = channels * kh * kw * out;
  const std::vector<float> x = Random(channels * height * width);
  const std::vector<float> y = Random(col_count);
  std::vector<float> col(col_count), back(x.size());
  im2col_cpu(x.data(), channels, height, width, kh, kw, ph, pw, sh, sw, dh, dw,
             col.data());
  col2im_cpu(y.data(), channels, height, width, kh, kw, ph, pw, sh, sw, dh, dw,
             back.data());
  EXPECT_NEAR(cpu_dot(col_count, col.data(), y.data()),
              cpu_dot(x.size(), x.data(), back.data()), 1e-4);
}

// With two spatial axes the N-D routines agree with the 2-D ones.
TEST(Im2colTest, NDMatches2D) {
  const int channels = 3, height = 6, width = 5;
  const int im_shape[] = {height, width}, kernel[] = {3, 2}, pad[] = {1, 0},
            stride[] = {2, 1}, dilation[] = {1, 2};
  const int out =
      ConvOutputSize(height, 3, 1, 2, 1) * ConvOutputSize(width, 2, 0, 1, 2);
  const int col_count = channels * 6 * out;
  const std::vector<float> x = Random(channels * height * width);
  std::vector<float> col_2d(col_count), col_nd(col_count);
  im2col_cpu(x.data(), channels, height, width, 3, 2, 1, 0, 2, 1, 1, 2,
             col_2d.data());
  im2col_nd_cpu(x.data(), 2, channels, im_shape, kernel, pad, stride, dilation,
                col_nd.data());
  EXPECT_EQ(col_2d, col_nd);

  const std::vector<float> y = Random(col_count);
  std::vector<float> im_2d(x.size()), im_nd(x.size());
  col2im_cpu(y.data(), channels, height, width, 3, 2, 1, 0, 2, 1, 1, 2,
             im_2d.data());
  col2im_nd_cpu(y.data(), 2, channels, im_shape, kernel, pad, stride, dilation,
                im_nd.data());
  for (size_t i = 0; i < x.size(); ++i) EXPECT_FLOAT_EQ(im_2d[i], im_nd[i]);
}

// 1-D: signal 1..5, kernel 3, pad 1, stride 2 -> windows at -1, 1, 3.
TEST(Im2colTest, OneDimensional) {
  const std::vector<float> im = Iota(5);
  const int shape[] = {5}, kernel[] = {3}, pad[] = {1}, stride[] = {2},
            dilation[] = {1};
  std::vector<float> col(9, -1.f);
  im2col_nd_cpu(im.data(), 1, 1, shape, kernel, pad, stride, dilation,
                col.data());
  EXPECT_EQ((std::vector<float>{0, 2, 4, 1, 3, 5, 2, 4, 0}), col);
}

// 3-D: a 2x2x2 volume and a 2x2x2 kernel give one column holding the
// volume in order; with pad 1 the middle output of each axis sees it too.
TEST(Im2colTest, ThreeDimensional) {
  const std::vector<float> im = Iota(8);
  const int shape[] = {2, 2, 2}, kernel[] = {2, 2, 2}, no_pad[] = {0, 0, 0},
            pad[] = {1, 1, 1}, stride[] = {1, 1, 1}, dilation[] = {1, 1, 1};
  std::vector<float> col(8, -1.f);
  im2col_nd_cpu(im.data(), 3, 1, shape, kernel, no_pad, stride, dilation,
                col.data());
  EXPECT_EQ(im, col);

  // Padded: output 3x3x3 (27 columns); tap (d, h, w) at output (od, oh, ow)
  // reads input (od - 1 + d, oh - 1 + h, ow - 1 + w).
  std::vector<float> padded(8 * 27, -1.f);
  im2col_nd_cpu(im.data(), 3, 1, shape, kernel, pad, stride, dilation,
                padded.data());
  for (int tap = 0; tap < 8; ++tap) {
    const int d = tap / 4, h = tap / 2 % 2, w = tap % 2;
    for (int o = 0; o < 27; ++o) {
      const int x = o / 9 - 1 + d, y = o / 3 % 3 - 1 + h, z = o % 3 - 1 + w;
      const bool inside = x >= 0 && x < 2 && y >= 0 && y < 2 && z >= 0 && z < 2;
      EXPECT_EQ(inside ? im[(x * 2 + y) * 2 + z] : 0.f, padded[tap * 27 + o])
          << "tap " << tap << " output " << o;
    }
  }
}

TEST(Im2colTest, Col2imIsAdjointND) {
  const int channels = 2;
  const int shape[] = {3, 4, 3}, kernel[] = {2, 3, 2}, pad[] = {1, 1, 0},
            stride[] = {2, 1, 1}, dilation[] = {1, 1, 2};
  int out = 1, kernel_count = 1, im_count = channels;
  for (int a = 0; a < 3; ++a) {
    out *= ConvOutputSize(shape[a], kernel[a], pad[a], stride[a], dilation[a]);
    kernel_count *= kernel[a];
    im_count *= shape[a];
  }
  const int col_count = channels * kernel_count * out;
  const std::vector<float> x = Random(im_count), y = Random(col_count);
  std::vector<float> col(col_count), back(im_count);
  im2col_nd_cpu(x.data(), 3, channels, shape, kernel, pad, stride, dilation,
                col.data());
  col2im_nd_cpu(y.data(), 3, channels, shape, kernel, pad, stride, dilation,
                back.data());
  EXPECT_NEAR(cpu_dot(col_count, col.data(), y.data()),
              cpu_dot(im_count, x.data(), back.data()), 1e-4);
}

}  // namespace
}  // namespace crema
