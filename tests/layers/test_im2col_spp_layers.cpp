// Im2col and SPP: forward values by hand, shapes, numerical gradients and
// errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <string>
#include <vector>

#include "crema/layer_registry.hpp"
#include "support/gradient_checker.hpp"
#include "support/test_util.hpp"

namespace crema {
namespace {

using testing::FillGaussian;
using testing::GradientChecker;
using testing::ParseText;

LayerParameter Param(const std::string& text) {
  return ParseText<LayerParameter>("name: 'x' " + text);
}

std::vector<float> Values(const Blob& blob) {
  return std::vector<float>(blob.cpu_data(), blob.cpu_data() + blob.count());
}

void Iota(Blob* blob) {
  std::iota(blob->mutable_cpu_data(), blob->mutable_cpu_data() + blob->count(),
            0.f);
}

void FillDistinct(Blob* blob) {
  std::vector<float> v(blob->count());
  std::iota(v.begin(), v.end(), 0.f);
  std::shuffle(v.begin(), v.end(), Crema::rng());
  for (int i = 0; i < blob->count(); ++i)
    blob->mutable_cpu_data()[i] = 0.1f * v[i] - 1.f;
}

class Im2colSPPTest : public ::testing::Test {
 protected:
  Im2colSPPTest() { Crema::set_random_seed(1701); }
};

TEST_F(Im2colSPPTest, Im2colByHand) {
  Blob bottom(1, 1, 3, 3), top;
  Iota(&bottom);
  auto layer = LayerRegistry::Create(
      Param("type: 'Im2col' convolution_param { kernel_size: 2 }"));
  layer->SetUp({&bottom}, {&top});
  layer->Forward({&bottom}, {&top});
  EXPECT_EQ((std::vector<int>{1, 4, 2, 2}), top.shape());
  // Row (kh, kw), column (oh, ow): input (oh + kh, ow + kw).
  EXPECT_EQ(
      (std::vector<float>{0, 1, 3, 4, 1, 2, 4, 5, 3, 4, 6, 7, 4, 5, 7, 8}),
      Values(top));
  // With padding 1 and stride 2 the corners read zeros.
  auto padded = LayerRegistry::Create(Param(
      "type: 'Im2col' convolution_param { kernel_size: 2 pad: 1 stride: 2 }"));
  padded->SetUp({&bottom}, {&top});
  padded->Forward({&bottom}, {&top});
  EXPECT_EQ((std::vector<int>{1, 4, 2, 2}), top.shape());
  EXPECT_EQ(
      (std::vector<float>{0, 0, 0, 4, 0, 0, 3, 5, 0, 1, 0, 7, 0, 2, 6, 8}),
      Values(top));
}

TEST_F(Im2colSPPTest, Im2colShapes) {
  Blob bottom(2, 3, 6, 5), top;
  auto layer = LayerRegistry::Create(
      Param("type: 'Im2col' convolution_param { kernel_h: 3 kernel_w: 2 "
            "stride: 2 dilation: 2 }"));
  layer->SetUp({&bottom}, {&top});
  EXPECT_EQ((std::vector<int>{2, 18, 1, 2}), top.shape());
  Blob nd(std::vector<int>{2, 2, 4, 3, 3});
  auto nd_layer = LayerRegistry::Create(
      Param("type: 'Im2col' convolution_param { kernel_size: 2 }"));
  nd_layer->SetUp({&nd}, {&top});
  EXPECT_EQ((std::vector<int>{2, 16, 3, 2, 2}), top.shape());
  auto too_big = LayerRegistry::Create(
      Param("type: 'Im2col' convolution_param { kernel_size: 7 }"));
  EXPECT_THROW(too_big->SetUp({&bottom}, {&top}), Error);
  auto no_kernel =
      LayerRegistry::Create(Param("type: 'Im2col' convolution_param { }"));
  EXPECT_THROW(no_kernel->SetUp({&bottom}, {&top}), Error);
}

TEST_F(Im2colSPPTest, Im2colGradient) {
  const std::vector<std::pair<std::vector<int>, std::string>> cases = {
      {{2, 2, 4, 5}, "kernel_size: 3"},
      {{1, 2, 5, 5}, "kernel_size: 3 stride: 2 pad: 1"},
      {{1, 2, 5, 6}, "kernel_h: 2 kernel_w: 3 dilation: 2"},
      {{1, 2, 4, 4}, "kernel_size: 2 pad: 1 force_nd_im2col: true"},
      {{1, 2, 3, 3, 3}, "kernel_size: 2"},
  };
  for (const auto& [shape, geometry] : cases) {
    SCOPED_TRACE(geometry);
    Blob bottom(shape), top;
    FillGaussian(&bottom);
    auto layer = LayerRegistry::Create(
        Param("type: 'Im2col' convolution_param { " + geometry + " }"));
    GradientChecker checker(1e-2f, 1e-2f);
    checker.CheckGradient(layer.get(), {&bottom}, {&top});
  }
}

TEST_F(Im2colSPPTest, SPPByHand) {
  Blob bottom(1, 2, 4, 4), top;
  Iota(&bottom);
  auto layer = LayerRegistry::Create(
      Param("type: 'SPP' spp_param { pyramid_height: 2 }"));
  layer->SetUp({&bottom}, {&top});
  layer->Forward({&bottom}, {&top});
  // Level 0: each channel's maximum; level 1: the maxima of its 2 x 2 bins.
  EXPECT_EQ((std::vector<int>{1, 10}), top.shape());
  EXPECT_EQ((std::vector<float>{15, 31, 5, 7, 13, 15, 21, 23, 29, 31}),
            Values(top));

  auto average = LayerRegistry::Create(
      Param("type: 'SPP' spp_param { pyramid_height: 2 pool: AVE }"));
  average->SetUp({&bottom}, {&top});
  average->Forward({&bottom}, {&top});
  EXPECT_EQ((std::vector<float>{7.5f, 23.5f, 2.5f, 4.5f, 10.5f, 12.5f, 18.5f,
                                20.5f, 26.5f, 28.5f}),
            Values(top));

  // pyramid_height 1 is plain global pooling, N x C x 1 x 1.
  auto single = LayerRegistry::Create(
      Param("type: 'SPP' spp_param { pyramid_height: 1 }"));
  single->SetUp({&bottom}, {&top});
  single->Forward({&bottom}, {&top});
  EXPECT_EQ((std::vector<int>{1, 2, 1, 1}), top.shape());
  EXPECT_EQ((std::vector<float>{15, 31}), Values(top));
}

TEST_F(Im2colSPPTest, SPPShapesFollowTheBottom) {
  // Caffe's test shape: 2 x 3 x 9 x 8 with three levels: 3 * (1 + 4 + 16).
  Blob bottom(2, 3, 9, 8), top;
  FillGaussian(&bottom);
  auto layer = LayerRegistry::Create(
      Param("type: 'SPP' spp_param { pyramid_height: 3 }"));
  layer->SetUp({&bottom}, {&top});
  EXPECT_EQ((std::vector<int>{2, 63}), top.shape());
  // Another input size re-derives the bins; the output length stays.
  bottom.Reshape(2, 3, 12, 11);
  FillGaussian(&bottom);
  layer->Forward({&bottom}, {&top});
  EXPECT_EQ((std::vector<int>{2, 63}), top.shape());

  Blob tiny(1, 1, 2, 2);
  auto too_deep = LayerRegistry::Create(
      Param("type: 'SPP' spp_param { pyramid_height: 3 }"));
  try {
    too_deep->SetUp({&tiny}, {&top});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("too small"), std::string::npos)
        << e.what();
  }
}

TEST_F(Im2colSPPTest, SPPGradient) {
  for (const std::string& pool : {"MAX", "AVE"}) {
    for (int height : {2, 3}) {
      SCOPED_TRACE(pool + " pyramid_height " + std::to_string(height));
      // Three levels need 4 bins of a kernel larger than their padding.
      Blob bottom, top;
      if (height == 2) {
        bottom.Reshape(2, 2, 5, 4);
      } else {
        bottom.Reshape(1, 1, 9, 8);
      }
      FillDistinct(&bottom);
      auto layer = LayerRegistry::Create(Param(
          "type: 'SPP' spp_param { pyramid_height: " + std::to_string(height) +
          " pool: " + pool + " }"));
      GradientChecker checker(1e-3f, 1e-2f);
      checker.CheckGradientExhaustive(layer.get(), {&bottom}, {&top});
    }
  }
}

}  // namespace
}  // namespace crema
