// Pooling: Caffe's output-size rule, MAX / AVE / STOCHASTIC forward values
// computed by hand, numerical gradients, and parameter errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cfloat>
#include <numeric>
#include <string>
#include <vector>

#include "crema/layer_registry.hpp"
#include "crema/layers/pooling_layer.hpp"
#include "support/gradient_checker.hpp"
#include "support/test_util.hpp"

namespace crema {
namespace {

using testing::FillUniform;
using testing::GradientChecker;
using testing::ParseText;

LayerParameter PoolParam(const std::string& pool_text, Phase phase = TRAIN) {
  LayerParameter param = ParseText<LayerParameter>(
      "name: 'pool' type: 'Pooling' pooling_param { " + pool_text + " }");
  param.set_phase(phase);
  return param;
}

class PoolingLayerTest : public ::testing::Test {
 protected:
  PoolingLayerTest() { Crema::set_random_seed(1701); }

  // Sets up on a bottom of `shape` holding `values` (or 0, 1, 2, ...).
  std::shared_ptr<Layer> Make(const LayerParameter& param,
                              const std::vector<int>& shape,
                              std::vector<float> values = {},
                              bool with_mask = false) {
    bottom_.Reshape(shape);
    if (values.empty()) {
      values.resize(bottom_.count());
      std::iota(values.begin(), values.end(), 0.f);
    }
    std::copy(values.begin(), values.end(), bottom_.mutable_cpu_data());
    layer_ = LayerRegistry::Create(param);
    tops_ = with_mask ? std::vector<Blob*>{&top_, &mask_}
                      : std::vector<Blob*>{&top_};
    layer_->SetUp({&bottom_}, tops_);
    return layer_;
  }

  std::vector<float> Forward() {
    layer_->Forward({&bottom_}, tops_);
    return std::vector<float>(top_.cpu_data(), top_.cpu_data() + top_.count());
  }

  // Output height and width for a 1 x 1 x height x width bottom.
  std::vector<int> PooledShape(const std::string& pool_text, int height,
                               int width) {
    Make(PoolParam(pool_text), {1, 1, height, width});
    return {top_.shape(2), top_.shape(3)};
  }

  // Distinct values spaced well beyond the checker's step, so no max is tied.
  void FillDistinct() {
    std::vector<float> v(bottom_.count());
    std::iota(v.begin(), v.end(), 0.f);
    std::shuffle(v.begin(), v.end(), Crema::rng());
    for (int i = 0; i < bottom_.count(); ++i) {
      bottom_.mutable_cpu_data()[i] = 0.1f * v[i] - 1.f;
    }
  }

  // With the default engine and with the reference engine forced.
  void CheckGradient(const LayerParameter& param, const std::vector<int>& shape,
                     bool distinct, bool with_mask = false) {
    for (const std::string& engine : testing::EnginesUnderTest()) {
      SCOPED_TRACE(param.ShortDebugString() + " engine " + (engine.empty() ? "default" : engine));
      bottom_.Reshape(shape);
      if (distinct) {
        FillDistinct();
      } else {
        FillUniform(&bottom_, 0.1f, 1.f);
      }
      auto layer = LayerRegistry::Create(testing::WithEngine(param, engine));
      std::vector<Blob*> tops = {&top_};
      if (with_mask) tops.push_back(&mask_);
      GradientChecker checker(1e-2f, 1e-3f);
      checker.CheckGradientExhaustive(layer.get(), {&bottom_}, tops);
    }
  }

  void ExpectError(const LayerParameter& param, const std::vector<int>& shape,
                   const std::string& fragment, int num_tops = 1) {
    bottom_.Reshape(shape);
    std::vector<Blob*> tops = {&top_};
    if (num_tops > 1) tops.push_back(&mask_);
    try {
      LayerRegistry::Create(param)->SetUp({&bottom_}, tops);
      ADD_FAILURE() << "expected an error containing '" << fragment << "'";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos)
          << "message: " << e.what();
      EXPECT_NE(std::string(e.what()).find("layer 'pool' (Pooling)"),
                std::string::npos)
          << "message: " << e.what();
    }
  }

  Blob bottom_, top_, mask_;
  std::shared_ptr<Layer> layer_;
  std::vector<Blob*> tops_;
};

// ---- output size ----

TEST_F(PoolingLayerTest, OutputSizeCeilAndFloor) {
  // (6 - 3) / 2 = 1.5: ceil gives 3 outputs, floor 2.
  EXPECT_EQ((std::vector<int>{3, 3}),
            PooledShape("kernel_size: 3 stride: 2", 6, 6));
  EXPECT_EQ((std::vector<int>{2, 2}),
            PooledShape("kernel_size: 3 stride: 2 round_mode: FLOOR", 6, 6));
  // Exact fit: both agree.
  EXPECT_EQ((std::vector<int>{3, 2}),
            PooledShape("kernel_size: 3 stride: 2", 7, 5));
  EXPECT_EQ((std::vector<int>{3, 2}),
            PooledShape("kernel_size: 3 stride: 2 round_mode: FLOOR", 7, 5));
}

TEST_F(PoolingLayerTest, CeilModeOverridesRoundMode) {
  EXPECT_EQ((std::vector<int>{2, 2}),
            PooledShape("kernel_size: 3 stride: 2 ceil_mode: false", 6, 6));
  EXPECT_EQ(
      (std::vector<int>{3, 3}),
      PooledShape("kernel_size: 3 stride: 2 round_mode: FLOOR ceil_mode: true",
                  6, 6));
}

TEST_F(PoolingLayerTest, OutputSizeDropsWindowStartingInPadding) {
  // in 5, kernel 2, stride 2, pad 1: ceil(5 / 2) + 1 = 4 windows starting at
  // -1, 1, 3, 5; the last starts at in + pad - 1 + 1 = 5 >= 5 (past the
  // image), so it is dropped.
  EXPECT_EQ((std::vector<int>{3, 3}),
            PooledShape("kernel_size: 2 stride: 2 pad: 1", 5, 5));
  // in 4, kernel 3, stride 2, pad 1: windows at -1, 1, 3; 3 < 4: kept.
  EXPECT_EQ((std::vector<int>{3, 3}),
            PooledShape("kernel_size: 3 stride: 2 pad: 1", 4, 4));
  // in 6, kernel 2, stride 2, pad 1: ceil(3) + 1 = 4 windows at -1, 1, 3, 5:
  // kept.
  EXPECT_EQ((std::vector<int>{4, 4}),
            PooledShape("kernel_size: 2 stride: 2 pad: 1", 6, 6));
}

// Caffe applies the drop to both axes as soon as either is padded.
TEST_F(PoolingLayerTest, OutputSizeDropAppliesWhenAnyAxisIsPadded) {
  const std::string geometry =
      "kernel_h: 2 kernel_w: 1 stride_h: 1 stride_w: 3 ";
  // w: in 5, kernel 1, stride 3: ceil(4 / 3) + 1 = 3 windows at 0, 3, 6.
  EXPECT_EQ((std::vector<int>{2, 3}), PooledShape(geometry, 3, 5));
  // With pad_h, the window at 6 >= 5 + 0 is dropped.
  EXPECT_EQ((std::vector<int>{4, 2}),
            PooledShape(geometry + "pad_h: 1 pad_w: 0", 3, 5));
}

// Without padding, stride > kernel can leave the last window past the
// image (windows at 0, 3, 6 of 5). Like Caffe, MAX outputs -FLT_MAX there;
// the backward pass must not write outside the bottom.
TEST_F(PoolingLayerTest, EmptyLastWindowWithoutPadding) {
  Make(PoolParam("kernel_size: 1 stride: 3"), {1, 1, 1, 5}, {1, 2, 3, 4, 5});
  EXPECT_EQ((std::vector<float>{1, 4, -FLT_MAX}), Forward());
  cpu_set(3, 1.f, top_.mutable_cpu_diff());
  layer_->Backward({&top_}, {true}, {&bottom_});
  EXPECT_EQ((std::vector<float>{1, 0, 0, 1, 0}),
            std::vector<float>(bottom_.cpu_diff(), bottom_.cpu_diff() + 5));
  Make(PoolParam("pool: STOCHASTIC kernel_size: 1 stride: 3"), {1, 1, 1, 5},
       {1, 2, 3, 4, 5});
  EXPECT_EQ((std::vector<float>{1, 4, 0}), Forward());
  cpu_set(3, 1.f, top_.mutable_cpu_diff());
  layer_->Backward({&top_}, {true}, {&bottom_});
  EXPECT_EQ((std::vector<float>{1, 0, 0, 1, 0}),
            std::vector<float>(bottom_.cpu_diff(), bottom_.cpu_diff() + 5));
}

TEST_F(PoolingLayerTest, RectangularAndGlobalShapes) {
  EXPECT_EQ(
      (std::vector<int>{2, 4}),
      PooledShape("kernel_h: 3 kernel_w: 2 stride_h: 2 stride_w: 1", 5, 5));
  Make(PoolParam("global_pooling: true"), {2, 3, 5, 4});
  EXPECT_EQ((std::vector<int>{2, 3, 1, 1}), top_.shape());
  Make(PoolParam("kernel_size: 2"), {2, 3, 5, 4}, {}, /*with_mask=*/true);
  EXPECT_EQ(top_.shape(), mask_.shape());
}

// ---- forward ----

const std::vector<float> kImage = {1, 5, 2, 8,  // 3 x 4
                                   4, 3, 9, 0, 7, 6, 1, 2};

TEST_F(PoolingLayerTest, ForwardMax) {
  Make(PoolParam("kernel_size: 2"), {1, 1, 3, 4}, kImage, /*with_mask=*/true);
  EXPECT_EQ((std::vector<float>{5, 9, 9, 7, 9, 9}), Forward());
  EXPECT_EQ((std::vector<float>{1, 6, 6, 8, 6, 6}),
            std::vector<float>(mask_.cpu_data(), mask_.cpu_data() + 6));
}

// Padding never wins a max, even over negative values.
TEST_F(PoolingLayerTest, ForwardMaxPadded) {
  Make(PoolParam("kernel_size: 3 stride: 2 pad: 1"), {1, 1, 3, 4}, kImage,
       true);
  ASSERT_EQ((std::vector<int>{1, 1, 2, 3}), top_.shape());
  EXPECT_EQ((std::vector<float>{5, 9, 8, 7, 9, 2}), Forward());
  EXPECT_EQ((std::vector<float>{1, 6, 3, 8, 6, 11}),
            std::vector<float>(mask_.cpu_data(), mask_.cpu_data() + 6));
  std::vector<float> negative(kImage.size());
  for (size_t i = 0; i < kImage.size(); ++i) negative[i] = -kImage[i] - 1;
  Make(PoolParam("kernel_size: 3 stride: 2 pad: 1"), {1, 1, 3, 4}, negative);
  EXPECT_EQ((std::vector<float>{-2, -1, -1, -4, -1, -1}), Forward());
}

TEST_F(PoolingLayerTest, ForwardMaxSeveralChannels) {
  std::vector<float> two(kImage);
  for (float v : kImage) two.push_back(10 - v);
  Make(PoolParam("kernel_size: 2 stride: 2"), {1, 2, 3, 4}, two);
  // ceil((3 - 2) / 2) + 1 = 2 rows; the second window row is clipped to row 2.
  EXPECT_EQ((std::vector<float>{5, 9, 7, 2, 9, 10, 4, 9}), Forward());
}

// 3x3 image 1..9, kernel 3, stride 1, pad 1: every divisor is 9.
TEST_F(PoolingLayerTest, ForwardAvePadded) {
  std::vector<float> image(9);
  std::iota(image.begin(), image.end(), 1.f);
  Make(PoolParam("pool: AVE kernel_size: 3 stride: 1 pad: 1"), {1, 1, 3, 3},
       image);
  const std::vector<float> sums = {12, 21, 16, 27, 45, 33, 24, 39, 28};
  const std::vector<float> out = Forward();
  ASSERT_EQ(9u, out.size());
  for (int i = 0; i < 9; ++i) EXPECT_FLOAT_EQ(sums[i] / 9, out[i]) << i;
}

// 4x4 image 1..16, kernel 3, stride 2, pad 1: windows start at -1, 1, 3 on
// each axis; the divisor counts the window clipped to in + pad = 5, so the
// last window spans 2 positions (one of them padding).
TEST_F(PoolingLayerTest, ForwardAveDivisorCountsPaddingUpToPaddedBound) {
  std::vector<float> image(16);
  std::iota(image.begin(), image.end(), 1.f);
  Make(PoolParam("pool: AVE kernel_size: 3 stride: 2 pad: 1"), {1, 1, 4, 4},
       image);
  const std::vector<float> expected = {14.f / 9, 30.f / 9, 12.f / 6,
                                       57.f / 9, 99.f / 9, 36.f / 6,
                                       27.f / 6, 45.f / 6, 16.f / 4};
  const std::vector<float> out = Forward();
  ASSERT_EQ(9u, out.size());
  for (int i = 0; i < 9; ++i) EXPECT_FLOAT_EQ(expected[i], out[i]) << i;
}

// Without padding a clipped window (ceil mode) divides by what is inside.
TEST_F(PoolingLayerTest, ForwardAveClippedWithoutPadding) {
  Make(PoolParam("pool: AVE kernel_size: 2 stride: 2"), {1, 1, 3, 4}, kImage);
  EXPECT_EQ((std::vector<float>{13.f / 4, 19.f / 4, 13.f / 2, 3.f / 2}),
            Forward());
}

TEST_F(PoolingLayerTest, ForwardGlobal) {
  Make(PoolParam("global_pooling: true"), {1, 1, 3, 4}, kImage);
  EXPECT_EQ((std::vector<float>{9}), Forward());
  Make(PoolParam("pool: AVE global_pooling: true"), {1, 1, 3, 4}, kImage);
  EXPECT_EQ((std::vector<float>{48.f / 12}), Forward());
}

// TEST phase: sum(x^2) / sum(x) over each window.
TEST_F(PoolingLayerTest, ForwardStochasticTest) {
  Make(PoolParam("pool: STOCHASTIC kernel_size: 2 stride: 1", TEST),
       {1, 1, 2, 3}, {1, 2, 3, 4, 5, 6});
  const std::vector<float> out = Forward();
  EXPECT_FLOAT_EQ(46.f / 12, out[0]);
  EXPECT_FLOAT_EQ(74.f / 16, out[1]);
  Make(PoolParam("pool: STOCHASTIC kernel_size: 2", TEST), {1, 1, 2, 2},
       {0, 0, 0, 0});
  EXPECT_EQ((std::vector<float>{0}), Forward());
}

// TRAIN phase: each output is one of its window's values, drawn with
// probability proportional to the value; the gradient goes to that input.
TEST_F(PoolingLayerTest, ForwardStochasticTrainSamplesByValue) {
  const int rows = 2000;
  std::vector<float> values;
  for (int i = 0; i < rows; ++i) {
    values.push_back(1);
    values.push_back(3);
  }
  Make(PoolParam("pool: STOCHASTIC kernel_h: 1 kernel_w: 2"), {1, 1, rows, 2},
       values);
  const std::vector<float> out = Forward();
  ASSERT_EQ(static_cast<size_t>(rows), out.size());
  const int threes = static_cast<int>(std::count(out.begin(), out.end(), 3.f));
  EXPECT_EQ(rows, threes + std::count(out.begin(), out.end(), 1.f));
  EXPECT_NEAR(0.75, static_cast<double>(threes) / rows, 0.04);

  // Backward routes each top diff to the input that was drawn.
  for (int i = 0; i < rows; ++i) top_.mutable_cpu_diff()[i] = i + 1;
  layer_->Backward({&top_}, {true}, {&bottom_});
  for (int i = 0; i < rows; ++i) {
    const bool took_three = out[i] == 3.f;
    EXPECT_EQ(took_three ? 0.f : i + 1, bottom_.cpu_diff()[2 * i]);
    EXPECT_EQ(took_three ? i + 1 : 0.f, bottom_.cpu_diff()[2 * i + 1]);
  }
}

TEST_F(PoolingLayerTest, BackwardMaxByHand) {
  Make(PoolParam("kernel_size: 2"), {1, 1, 3, 4}, kImage);
  Forward();
  for (int i = 0; i < 6; ++i) top_.mutable_cpu_diff()[i] = 1;
  layer_->Backward({&top_}, {true}, {&bottom_});
  // 5 wins once, 9 four times, 7 once.
  EXPECT_EQ((std::vector<float>{0, 1, 0, 0, 0, 0, 4, 0, 1, 0, 0, 0}),
            std::vector<float>(bottom_.cpu_diff(), bottom_.cpu_diff() + 12));
}

// ---- gradients ----

TEST_F(PoolingLayerTest, GradientMax) {
  CheckGradient(PoolParam("kernel_size: 2"), {2, 2, 3, 4}, true);
  CheckGradient(PoolParam("kernel_size: 3 stride: 2"), {1, 2, 6, 5}, true);
  CheckGradient(
      PoolParam(
          "kernel_h: 3 kernel_w: 2 stride_h: 2 stride_w: 1 pad_h: 1 pad_w: 1"),
      {1, 2, 5, 4}, true);
  CheckGradient(PoolParam("kernel_size: 2 stride: 2 pad: 1"), {2, 1, 5, 5},
                true);
}

TEST_F(PoolingLayerTest, GradientMaxWithMaskTop) {
  CheckGradient(PoolParam("kernel_size: 3 stride: 2 pad: 1"), {1, 2, 5, 4},
                true,
                /*with_mask=*/true);
}

TEST_F(PoolingLayerTest, GradientAve) {
  CheckGradient(PoolParam("pool: AVE kernel_size: 2"), {2, 2, 3, 4}, false);
  CheckGradient(PoolParam("pool: AVE kernel_size: 3 stride: 2 pad: 1"),
                {1, 2, 4, 5}, false);
  CheckGradient(
      PoolParam("pool: AVE kernel_h: 3 kernel_w: 2 stride_h: 2 stride_w: 3 "
                "pad_h: 1 pad_w: 0"),
      {1, 1, 6, 7}, false);
  CheckGradient(
      PoolParam("pool: AVE kernel_size: 3 stride: 2 round_mode: FLOOR"),
      {1, 2, 6, 6}, false);
}

TEST_F(PoolingLayerTest, GradientGlobal) {
  CheckGradient(PoolParam("global_pooling: true"), {2, 3, 3, 2}, true);
  CheckGradient(PoolParam("pool: AVE global_pooling: true"), {2, 3, 3, 2},
                false);
}

TEST_F(PoolingLayerTest, GradientStochasticTest) {
  CheckGradient(PoolParam("pool: STOCHASTIC kernel_size: 2", TEST),
                {2, 2, 3, 4}, false);
  CheckGradient(PoolParam("pool: STOCHASTIC kernel_size: 3 stride: 2", TEST),
                {1, 2, 5, 5}, false);
}

// ---- errors ----

TEST_F(PoolingLayerTest, Errors) {
  ExpectError(PoolParam("kernel_size: 2 pad: 2"), {1, 1, 5, 5},
              "must be smaller than the kernel");
  ExpectError(PoolParam("kernel_h: 3 kernel_w: 2 pad_h: 1 pad_w: 2"),
              {1, 1, 5, 5}, "must be smaller than the kernel");
  ExpectError(PoolParam("global_pooling: true kernel_size: 2"), {1, 1, 5, 5},
              "do not give kernel_size");
  ExpectError(PoolParam("global_pooling: true stride: 2"), {1, 1, 5, 5},
              "only pad = 0 and stride = 1");
  ExpectError(PoolParam("global_pooling: true pad: 1"), {1, 1, 5, 5},
              "only pad = 0 and stride = 1");
  ExpectError(PoolParam("pool: STOCHASTIC kernel_size: 3 pad: 1"), {1, 1, 5, 5},
              "padding is implemented only for AVE, MAX and L2");
  ExpectError(PoolParam("kernel_h: 3"), {1, 1, 5, 5},
              "both kernel_h and kernel_w");
  ExpectError(PoolParam("stride: 1"), {1, 1, 5, 5}, "needs kernel_size");
  ExpectError(PoolParam("kernel_size: 2 kernel_h: 2 kernel_w: 2"), {1, 1, 5, 5},
              "not both");
  ExpectError(PoolParam("kernel_size: 2 pad: 1 pad_h: 1 pad_w: 1"),
              {1, 1, 5, 5}, "either pad");
  ExpectError(PoolParam("kernel_size: 2 pad_h: 1"), {1, 1, 5, 5}, "either pad");
  ExpectError(PoolParam("kernel_size: 2 stride_w: 1"), {1, 1, 5, 5},
              "either stride");
  ExpectError(PoolParam("kernel_size: 0"), {1, 1, 5, 5}, "cannot be zero");
  ExpectError(PoolParam("kernel_size: 2"), {1, 5, 5}, "4 axes");
  ExpectError(PoolParam("kernel_size: 6"), {1, 1, 5, 5}, "does not fit");
  ExpectError(PoolParam("pool: AVE kernel_size: 2"), {1, 1, 5, 5},
              "at most 1 top", 2);
}

}  // namespace
}  // namespace crema
