// crema's additions around pooling and convolution: L2 pooling, per-side
// (asymmetric) padding for Pooling, Convolution and Deconvolution, and
// Upsample with max-pooling indices. Forward values by hand, numerical
// gradients, and errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <vector>

#include "crema/layer_registry.hpp"
#include "support/gradient_checker.hpp"
#include "support/test_util.hpp"

namespace crema {
namespace {

using testing::FillGaussian;
using testing::FillUniform;
using testing::GradientChecker;
using testing::ParseText;

LayerParameter Param(const std::string& text) {
  return ParseText<LayerParameter>("name: 'x' " + text);
}

std::vector<float> Values(const Blob& blob) {
  return std::vector<float>(blob.cpu_data(), blob.cpu_data() + blob.count());
}

void Set(Blob* blob, const std::vector<float>& values) {
  ASSERT_EQ(blob->count(), static_cast<int>(values.size()));
  std::copy(values.begin(), values.end(), blob->mutable_cpu_data());
}

// Distinct values spaced well beyond the checker's step (no ties in max).
void FillDistinct(Blob* blob) {
  std::vector<float> v(blob->count());
  std::iota(v.begin(), v.end(), 0.f);
  std::shuffle(v.begin(), v.end(), Crema::rng());
  for (int i = 0; i < blob->count(); ++i)
    blob->mutable_cpu_data()[i] = 0.1f * v[i] - 1.f;
}

class PoolingExtrasTest : public ::testing::Test {
 protected:
  PoolingExtrasTest() { Crema::set_random_seed(1701); }
  std::vector<float> Forward(const LayerParameter& param,
                             std::vector<Blob*> bottom,
                             std::vector<Blob*> top) {
    layer_ = LayerRegistry::Create(param);
    layer_->SetUp(bottom, top);
    layer_->Forward(bottom, top);
    return Values(*top[0]);
  }
  std::shared_ptr<Layer> layer_;
};

// ---- L2 pooling ----

TEST_F(PoolingExtrasTest, L2PoolingByHand) {
  Blob bottom(1, 1, 2, 4), top;
  Set(&bottom, {3, 4, 1, 2, 0, 0, 2, 4});
  // Windows 2 x 2, stride 2: sqrt(9 + 16) = 5 and sqrt(1 + 4 + 4 + 16) = 5.
  EXPECT_EQ((std::vector<float>{5, 5}),
            Forward(Param("type: 'Pooling' pooling_param { pool: L2 "
                          "kernel_size: 2 stride: 2 }"),
                    {&bottom}, {&top}));
  // Padding adds nothing: 3 x 3 windows, pad 1, stride 2 over the 2 x 4 plane.
  Forward(Param("type: 'Pooling' pooling_param { pool: L2 kernel_size: 3 "
                "stride: 2 pad: 1 }"),
          {&bottom}, {&top});
  // Rows {0-1, 1}, columns {0-1, 1-3, 3}.
  ASSERT_EQ((std::vector<int>{1, 1, 2, 3}), top.shape());
  const std::vector<float> expected = {5, std::sqrt(41.f), std::sqrt(20.f),
                                       0, std::sqrt(20.f), 4};
  for (int i = 0; i < 6; ++i)
    EXPECT_FLOAT_EQ(expected[i], top.cpu_data()[i]) << i;
  // An all-zero window outputs 0 and passes no gradient.
  Set(&bottom, {0, 0, 1, 2, 0, 0, 2, 4});
  Forward(Param("type: 'Pooling' pooling_param { pool: L2 kernel_size: 2 "
                "stride: 2 }"),
          {&bottom}, {&top});
  EXPECT_EQ((std::vector<float>{0, 5}), Values(top));
  top.mutable_cpu_diff()[0] = top.mutable_cpu_diff()[1] = 1.f;
  layer_->Backward({&top}, {true}, {&bottom});
  EXPECT_EQ((std::vector<float>{0, 0, 0.2f, 0.4f, 0, 0, 0.4f, 0.8f}),
            std::vector<float>(bottom.cpu_diff(), bottom.cpu_diff() + 8));
}

TEST_F(PoolingExtrasTest, L2PoolingGradient) {
  for (const std::string& geometry :
       {"kernel_size: 2 stride: 2", "kernel_size: 3 stride: 2 pad: 1",
        "kernel_h: 3 kernel_w: 2 stride: 1", "global_pooling: true",
        "kernel_size: 3 stride: 1 pad_b: 2 pad_l: 1"}) {
    SCOPED_TRACE(geometry);
    Blob bottom(2, 2, 5, 4), top;
    FillGaussian(&bottom);
    auto layer = LayerRegistry::Create(
        Param("type: 'Pooling' pooling_param { pool: L2 " + geometry + " }"));
    GradientChecker checker(1e-2f, 1e-2f);
    checker.CheckGradientExhaustive(layer.get(), {&bottom}, {&top});
  }
}

// ---- per-side padding ----

TEST_F(PoolingExtrasTest, AsymmetricPoolingShapesAndValues) {
  Blob bottom(1, 1, 2, 2), top;
  Set(&bottom, {1, 2, 3, 4});
  // "Same" 2 x 2 max pooling: pad only after each axis.
  EXPECT_EQ((std::vector<float>{4, 4, 4, 4}),
            Forward(Param("type: 'Pooling' pooling_param { kernel_size: 2 "
                          "pad_b: 1 pad_r: 1 }"),
                    {&bottom}, {&top}));
  // AVE counts the padded cells inside the padded frame: 4 / 4 at (1, 1).
  EXPECT_EQ(
      (std::vector<float>{2.5f, 1.5f, 1.75f, 1.f}),
      Forward(Param("type: 'Pooling' pooling_param { pool: AVE kernel_size: 2 "
                    "pad_b: 1 pad_r: 1 }"),
              {&bottom}, {&top}));
  // Only the top padded: 3 x 2 output rows (pad_t 1 + 2 rows, kernel 2 -> 2
  // rows).
  Forward(Param("type: 'Pooling' pooling_param { kernel_size: 2 stride: 1 "
                "pad_t: 1 }"),
          {&bottom}, {&top});
  EXPECT_EQ((std::vector<int>{1, 1, 2, 1}), top.shape());
  EXPECT_EQ((std::vector<float>{2, 4}), Values(top));
  // pad_h then replaced on one side.
  Blob big(1, 1, 6, 6);
  Forward(Param("type: 'Pooling' pooling_param { kernel_size: 3 stride: 2 pad: "
                "1 pad_b: 0 }"),
          {&big}, {&top});
  EXPECT_EQ((std::vector<int>{1, 1, 3, 4}), top.shape());
  Forward(Param("type: 'Pooling' pooling_param { kernel_size: 3 stride: 1 "
                "pad_t: 2 pad_r: 2 }"),
          {&big}, {&top});
  EXPECT_EQ((std::vector<int>{1, 1, 6, 6}), top.shape());
}

TEST_F(PoolingExtrasTest, AsymmetricPoolingGradient) {
  for (const std::string& method : {"MAX", "AVE"}) {
    for (const std::string& pads :
         {"pad_t: 1", "pad_b: 1 pad_r: 2", "pad: 1 pad_l: 0"}) {
      SCOPED_TRACE(method + " " + pads);
      Blob bottom(1, 2, 5, 4), top;
      FillDistinct(&bottom);
      auto layer = LayerRegistry::Create(
          Param("type: 'Pooling' pooling_param { pool: " + method +
                " kernel_size: 3 stride: 2 " + pads + " }"));
      GradientChecker checker(1e-3f, 1e-2f);
      checker.CheckGradientExhaustive(layer.get(), {&bottom}, {&top});
    }
  }
}

TEST_F(PoolingExtrasTest, AsymmetricPoolingErrors) {
  Blob bottom(1, 1, 5, 5), top;
  auto layer = LayerRegistry::Create(
      Param("type: 'Pooling' pooling_param { kernel_size: 2 pad_b: 2 }"));
  try {
    layer->SetUp({&bottom}, {&top});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("bottom 2"), std::string::npos)
        << e.what();
  }
}

TEST_F(PoolingExtrasTest, AsymmetricConvolutionByHand) {
  Blob bottom(1, 1, 2, 2), top;
  Set(&bottom, {1, 2, 3, 4});
  const std::string ones =
      " weight_filler { type: 'constant' value: 1 } bias_filler { type: "
      "'constant' value: 0.5 }";
  // "Same" 2 x 2 convolution: pad only the bottom and right.
  EXPECT_EQ((std::vector<float>{10.5f, 6.5f, 7.5f, 4.5f}),
            Forward(Param("type: 'Convolution' convolution_param { num_output: "
                          "1 kernel_size: 2 "
                          "pad_b: 1 pad_r: 1" +
                          ones + " }"),
                    {&bottom}, {&top}));
  // Causal along the height: 2 rows of padding on top only.
  Forward(Param("type: 'Convolution' convolution_param { num_output: 1 "
                "kernel_h: 3 kernel_w: 1 "
                "pad_t: 2" +
                ones + " }"),
          {&bottom}, {&top});
  EXPECT_EQ((std::vector<int>{1, 1, 2, 2}), top.shape());
  EXPECT_EQ((std::vector<float>{1.5f, 2.5f, 4.5f, 6.5f}), Values(top));
}

// Per-side padding equals symmetric-free convolution of an explicitly
// zero-padded input.
TEST_F(PoolingExtrasTest, AsymmetricConvolutionMatchesExplicitPadding) {
  const int pt = 2, pb = 0, pl = 1, pr = 3;
  Blob bottom(2, 3, 5, 4), padded(2, 3, 5 + pt + pb, 4 + pl + pr), top,
      reference;
  FillGaussian(&bottom);
  cpu_zero(padded.count(), padded.mutable_cpu_data());
  for (int n = 0; n < 2; ++n)
    for (int c = 0; c < 3; ++c)
      for (int h = 0; h < 5; ++h)
        for (int w = 0; w < 4; ++w)
          padded.mutable_cpu_data()[padded.offset(n, c, h + pt, w + pl)] =
              bottom.data_at(n, c, h, w);
  const std::string common =
      "type: 'Convolution' convolution_param { num_output: 4 kernel_h: 3 "
      "kernel_w: 2 "
      "stride: 2 weight_filler { type: 'gaussian' } bias_filler { type: "
      "'gaussian' } ";
  auto asym = LayerRegistry::Create(
      Param(common + "pad_t: 2 pad_b: 0 pad_l: 1 pad_r: 3 }"));
  asym->SetUp({&bottom}, {&top});
  LayerParameter plain = Param(common + "}");
  for (auto& b : asym->blobs()) b->ToProto(plain.add_blobs());
  auto reference_layer = LayerRegistry::Create(plain);
  reference_layer->SetUp({&padded}, {&reference});
  asym->Forward({&bottom}, {&top});
  reference_layer->Forward({&padded}, {&reference});
  ASSERT_EQ(reference.shape(), top.shape());
  for (int i = 0; i < top.count(); ++i) {
    EXPECT_NEAR(reference.cpu_data()[i], top.cpu_data()[i], 1e-5) << i;
  }
}

TEST_F(PoolingExtrasTest, AsymmetricConvolutionAndDeconvolutionGradient) {
  for (const std::string& type : {"Convolution", "Deconvolution"}) {
    for (const std::string& pads :
         {"pad_t: 2", "pad_b: 1 pad_r: 1", "pad: 1 pad_l: 0 pad_b: 2"}) {
      SCOPED_TRACE(type + " " + pads);
      Blob bottom(2, 2, 4, 3), top;
      FillGaussian(&bottom);
      auto layer = LayerRegistry::Create(
          Param("type: '" + type +
                "' convolution_param { num_output: 2 kernel_size: 3 " + pads +
                " weight_filler { type: 'gaussian' } bias_filler { type: "
                "'gaussian' } }"));
      GradientChecker checker(1e-2f, 1e-2f);
      checker.CheckGradient(layer.get(), {&bottom}, {&top});
    }
  }
  // Deconvolution's output size subtracts both sides' pads.
  Blob bottom(1, 1, 4, 4), top;
  auto deconv =
      LayerRegistry::Create(Param("type: 'Deconvolution' convolution_param { "
                                  "num_output: 1 kernel_size: 4 stride: 2 "
                                  "pad_t: 1 pad_b: 2 pad_l: 0 pad_r: 1 }"));
  deconv->SetUp({&bottom}, {&top});
  EXPECT_EQ((std::vector<int>{1, 1, 2 * 3 + 4 - 3, 2 * 3 + 4 - 1}),
            top.shape());
}

TEST_F(PoolingExtrasTest, AsymmetricConvolutionNeeds2D) {
  Blob bottom(std::vector<int>{1, 1, 3, 3, 3}), top;
  auto layer =
      LayerRegistry::Create(Param("type: 'Convolution' convolution_param { "
                                  "num_output: 1 kernel_size: 2 pad_t: 1 }"));
  EXPECT_THROW(layer->SetUp({&bottom}, {&top}), Error);
}

// ---- Upsample ----

TEST_F(PoolingExtrasTest, UpsamplePlacesValuesAtTheMask) {
  Blob input(1, 1, 4, 4), pooled, mask, top;
  Set(&input, {1, 9, 2, 0,  //
               3, 4, 8, 7,  //
               6, 0, 5, 1,  //
               0, 2, 3, 4});
  LayerParameter pool =
      Param("type: 'Pooling' pooling_param { kernel_size: 2 stride: 2 }");
  Forward(pool, {&input}, {&pooled, &mask});
  EXPECT_EQ((std::vector<float>{9, 8, 6, 5}), Values(pooled));
  EXPECT_EQ((std::vector<float>{1, 6, 8, 10}), Values(mask));
  const std::vector<float> up =
      Forward(Param("type: 'Upsample' upsample_param { scale: 2 }"),
              {&pooled, &mask}, {&top});
  EXPECT_EQ((std::vector<int>{1, 1, 4, 4}), top.shape());
  EXPECT_EQ((std::vector<float>{0, 9, 0, 0,  //
                                0, 0, 8, 0,  //
                                6, 0, 5, 0,  //
                                0, 0, 0, 0}),
            up);
  // Backward reads the gradient at each value's position.
  for (int i = 0; i < 16; ++i) top.mutable_cpu_diff()[i] = i;
  layer_->Backward({&top}, {true, false}, {&pooled, &mask});
  EXPECT_EQ((std::vector<float>{1, 6, 8, 10}),
            std::vector<float>(pooled.cpu_diff(), pooled.cpu_diff() + 4));
}

TEST_F(PoolingExtrasTest, UpsampleOutputSizes) {
  Blob values(2, 3, 3, 2), mask(2, 3, 3, 2), top;
  cpu_zero(mask.count(), mask.mutable_cpu_data());
  Forward(Param("type: 'Upsample' upsample_param { scale: 2 pad_out_h: true }"),
          {&values, &mask}, {&top});
  EXPECT_EQ((std::vector<int>{2, 3, 5, 4}), top.shape());
  Forward(Param("type: 'Upsample' upsample_param { scale_h: 3 scale_w: 2 }"),
          {&values, &mask}, {&top});
  EXPECT_EQ((std::vector<int>{2, 3, 9, 4}), top.shape());
  Forward(
      Param("type: 'Upsample' upsample_param { upsample_h: 5 upsample_w: 3 }"),
      {&values, &mask}, {&top});
  EXPECT_EQ((std::vector<int>{2, 3, 5, 3}), top.shape());
}

TEST_F(PoolingExtrasTest, UpsampleGradientAndErrors) {
  Blob input(2, 2, 5, 6), pooled, mask, top;
  FillDistinct(&input);
  Forward(Param("type: 'Pooling' pooling_param { kernel_size: 2 stride: 2 }"),
          {&input}, {&pooled, &mask});
  auto layer = LayerRegistry::Create(
      Param("type: 'Upsample' upsample_param { scale: 2 pad_out_h: true }"));
  GradientChecker checker(1e-2f, 1e-3f);
  checker.CheckGradientExhaustive(layer.get(), {&pooled, &mask}, {&top}, 0);

  // A mask pointing outside the output plane, and mismatched shapes.
  mask.mutable_cpu_data()[0] = 100.f;
  auto small = LayerRegistry::Create(
      Param("type: 'Upsample' upsample_param { scale: 2 }"));
  small->SetUp({&pooled, &mask}, {&top});
  EXPECT_THROW(small->Forward({&pooled, &mask}, {&top}), Error);
  Blob other(1, 1, 2, 2);
  auto mismatch = LayerRegistry::Create(
      Param("type: 'Upsample' upsample_param { scale: 2 }"));
  EXPECT_THROW(mismatch->SetUp({&pooled, &other}, {&top}), Error);
}

// MAX pooling's backward pass routes each gradient to the input the
// forward pass chose: without a forward pass of that shape it refuses,
// instead of reading indices it does not have.
TEST(PoolingBackward, NeedsAForwardPassOfTheSameShape) {
  auto layer = LayerRegistry::Create(
      Param("type: 'Pooling' pooling_param { pool: MAX kernel_size: 2 stride: 2 engine: CAFFE }"));
  Blob bottom(std::vector<int>{1, 2, 4, 4}), top;
  FillGaussian(&bottom);
  layer->SetUp({&bottom}, {&top});
  FillGaussian(&top);
  std::copy(top.cpu_data(), top.cpu_data() + top.count(), top.mutable_cpu_diff());
  EXPECT_THROW(layer->Backward({&top}, {true}, {&bottom}), Error);
  layer->Forward({&bottom}, {&top});
  EXPECT_NO_THROW(layer->Backward({&top}, {true}, {&bottom}));
  bottom.Reshape(std::vector<int>{1, 2, 6, 6});
  layer->Reshape({&bottom}, {&top});
  EXPECT_THROW(layer->Backward({&top}, {true}, {&bottom}), Error);
}

}  // namespace
}  // namespace crema
