// PReLU, ELU, AbsVal, Power, Exp, Log, BNLL, Threshold, Clip and Swish:
// forward values computed by hand, numerical gradients, in-place use, errors.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
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

std::shared_ptr<Layer> MakeLayer(const std::string& text) {
  return LayerRegistry::Create(ParseText<LayerParameter>(text));
}

void SetData(Blob* blob, const std::vector<float>& values) {
  ASSERT_EQ(blob->count(), static_cast<int>(values.size()));
  for (size_t i = 0; i < values.size(); ++i) blob->mutable_cpu_data()[i] = values[i];
}

// Runs the layer on `input` (shape 1 x n) and returns the output values.
std::vector<float> ForwardValues(const std::string& text, const std::vector<float>& input) {
  Blob bottom(std::vector<int>{1, static_cast<int>(input.size())});
  Blob top;
  SetData(&bottom, input);
  auto layer = MakeLayer(text);
  layer->SetUp({&bottom}, {&top});
  layer->Forward({&bottom}, {&top});
  return std::vector<float>(top.cpu_data(), top.cpu_data() + top.count());
}

void ExpectValues(const std::vector<float>& expected, const std::vector<float>& actual,
                  float tolerance = 1e-5f) {
  ASSERT_EQ(expected.size(), actual.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_NEAR(expected[i], actual[i], tolerance) << "at " << i;
  }
}

// Element-wise gradient check over a few shapes.
void CheckEltwise(const std::string& text, float lo, float hi, float kink = 0.f,
                  float kink_range = -1.f) {
  for (const auto& shape :
       {std::vector<int>{2, 3, 4, 5}, std::vector<int>{3, 7}, std::vector<int>{1, 2, 3}}) {
    Blob bottom(shape);
    Blob top;
    FillUniform(&bottom, lo, hi);
    auto layer = MakeLayer(text);
    layer->SetUp({&bottom}, {&top});
    GradientChecker checker(1e-3f, 1e-2f, 1701, kink, kink_range);
    checker.CheckGradientEltwise(layer.get(), {&bottom}, {&top});
  }
}

// In place must give the same output and input gradient as out of place.
void CheckInPlace(const std::string& text, float lo, float hi) {
  Blob bottom(2, 3, 2, 2);
  FillUniform(&bottom, lo, hi);
  Blob top;
  auto layer = MakeLayer(text);
  layer->SetUp({&bottom}, {&top});
  layer->Forward({&bottom}, {&top});
  for (int i = 0; i < top.count(); ++i) top.mutable_cpu_diff()[i] = 0.1f * i - 1.f;
  layer->Backward({&top}, {true}, {&bottom});

  Blob both(bottom.shape());
  both.CopyFrom(bottom);
  auto in_place = MakeLayer(text);
  in_place->SetUp({&both}, {&both});
  in_place->Forward({&both}, {&both});
  for (int i = 0; i < top.count(); ++i) {
    EXPECT_FLOAT_EQ(top.cpu_data()[i], both.cpu_data()[i]) << text;
  }
  for (int i = 0; i < top.count(); ++i) both.mutable_cpu_diff()[i] = 0.1f * i - 1.f;
  in_place->Backward({&both}, {true}, {&both});
  for (int i = 0; i < top.count(); ++i) {
    EXPECT_NEAR(bottom.cpu_diff()[i], both.cpu_diff()[i], 1e-5f) << text << " at " << i;
  }
}

// ---- PReLU ----

TEST(PReLULayerTest, DefaultSlopeIsQuarterPerChannel) {
  Blob bottom(2, 3, 2, 2);
  Blob top;
  auto layer = MakeLayer("name: 'p' type: 'PReLU'");
  layer->SetUp({&bottom}, {&top});
  ASSERT_EQ(1u, layer->blobs().size());
  EXPECT_EQ(std::vector<int>{3}, layer->blobs()[0]->shape());
  for (int c = 0; c < 3; ++c) EXPECT_FLOAT_EQ(0.25f, layer->blobs()[0]->cpu_data()[c]);
  EXPECT_TRUE(layer->param_propagate_down(0));
}

TEST(PReLULayerTest, ForwardPerChannelAndShared) {
  Blob bottom(1, 2, 1, 2);
  SetData(&bottom, {-4.f, 2.f, -1.f, -2.f});
  Blob top;
  auto layer = MakeLayer("type: 'PReLU' prelu_param { filler { type: 'constant' value: 0.5 } }");
  layer->SetUp({&bottom}, {&top});
  layer->blobs()[0]->mutable_cpu_data()[1] = 3.f;  // channel 1 slope
  layer->Forward({&bottom}, {&top});
  ExpectValues({-2.f, 2.f, -3.f, -6.f}, std::vector<float>(top.cpu_data(), top.cpu_data() + 4));

  auto shared = MakeLayer("type: 'PReLU' prelu_param { channel_shared: true }");
  shared->SetUp({&bottom}, {&top});
  EXPECT_EQ(1, shared->blobs()[0]->count());
  EXPECT_EQ(0, shared->blobs()[0]->num_axes());
  shared->Forward({&bottom}, {&top});
  ExpectValues({-1.f, 2.f, -0.25f, -0.5f}, std::vector<float>(top.cpu_data(), top.cpu_data() + 4));
}

TEST(PReLULayerTest, Gradient) {
  for (const char* shared : {"false", "true"}) {
    for (const auto& shape :
         {std::vector<int>{2, 3, 3, 2}, std::vector<int>{3, 4}, std::vector<int>{2, 2, 5}}) {
      Blob bottom(shape);
      Blob top;
      FillGaussian(&bottom);
      auto layer = MakeLayer(std::string("type: 'PReLU' prelu_param { channel_shared: ") + shared +
                             " filler { type: 'uniform' min: -0.5 max: 0.5 } }");
      layer->SetUp({&bottom}, {&top});
      GradientChecker checker(1e-2f, 1e-3f, 1701, 0.f, 0.01f);
      checker.CheckGradientExhaustive(layer.get(), {&bottom}, {&top});
    }
  }
}

TEST(PReLULayerTest, SlopeGradientAccumulates) {
  Blob bottom(1, 1, 1, 2);
  SetData(&bottom, {-2.f, 3.f});
  Blob top;
  auto layer = MakeLayer("type: 'PReLU'");
  layer->SetUp({&bottom}, {&top});
  layer->Forward({&bottom}, {&top});
  top.mutable_cpu_diff()[0] = 1.f;
  top.mutable_cpu_diff()[1] = 1.f;
  layer->blobs()[0]->mutable_cpu_diff()[0] = 10.f;
  layer->Backward({&top}, {true}, {&bottom});
  EXPECT_FLOAT_EQ(10.f - 2.f, layer->blobs()[0]->cpu_diff()[0]);
  EXPECT_FLOAT_EQ(0.25f, bottom.cpu_diff()[0]);
  EXPECT_FLOAT_EQ(1.f, bottom.cpu_diff()[1]);
}

TEST(PReLULayerTest, InPlace) {
  CheckInPlace("type: 'PReLU' prelu_param { filler { type: 'constant' value: 0.3 } }", -2.f, 2.f);
  // The slope gradient too.
  Blob bottom(1, 2, 1, 3);
  FillGaussian(&bottom);
  Blob top;
  auto a = MakeLayer("type: 'PReLU'");
  a->SetUp({&bottom}, {&top});
  a->Forward({&bottom}, {&top});
  for (int i = 0; i < top.count(); ++i) top.mutable_cpu_diff()[i] = 1.f + i;
  a->Backward({&top}, {true}, {&bottom});
  Blob both(bottom.shape());
  both.CopyFrom(bottom);
  auto b = MakeLayer("type: 'PReLU'");
  b->SetUp({&both}, {&both});
  b->Forward({&both}, {&both});
  for (int i = 0; i < both.count(); ++i) both.mutable_cpu_diff()[i] = 1.f + i;
  b->Backward({&both}, {true}, {&both});
  for (int c = 0; c < 2; ++c) {
    EXPECT_FLOAT_EQ(a->blobs()[0]->cpu_diff()[c], b->blobs()[0]->cpu_diff()[c]);
  }
}

TEST(PReLULayerTest, Errors) {
  Blob flat(std::vector<int>{5});
  Blob top;
  auto layer = MakeLayer("name: 'p1' type: 'PReLU'");
  try {
    layer->SetUp({&flat}, {&top});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string::npos, std::string(e.what()).find("'p1' (PReLU)"));
    EXPECT_NE(std::string::npos, std::string(e.what()).find("5 (5)"));
  }
  // Stored slopes of the wrong size.
  LayerParameter param = ParseText<LayerParameter>("name: 'p2' type: 'PReLU'");
  BlobProto* blob = param.add_blobs();
  blob->mutable_shape()->add_dim(4);
  for (int i = 0; i < 4; ++i) blob->add_data(0.1f);
  Blob bottom(2, 3, 1, 1);
  auto loaded = LayerRegistry::Create(param);
  EXPECT_THROW(loaded->SetUp({&bottom}, {&top}), Error);
}

// ---- ELU ----

TEST(ELULayerTest, Forward) {
  const float a = 0.5f;
  ExpectValues({-a * (1.f - std::exp(-1.f)), 0.f, 2.f, -a * (1.f - std::exp(-3.f))},
               ForwardValues("type: 'ELU' elu_param { alpha: 0.5 }", {-1.f, 0.f, 2.f, -3.f}));
  ExpectValues({std::exp(-2.f) - 1.f, 1.5f}, ForwardValues("type: 'ELU'", {-2.f, 1.5f}));
}

TEST(ELULayerTest, Gradient) {
  CheckEltwise("type: 'ELU'", -2.f, 2.f, 0.f, 0.01f);
  CheckEltwise("type: 'ELU' elu_param { alpha: 0.3 }", -2.f, 2.f, 0.f, 0.01f);
  CheckEltwise("type: 'ELU' elu_param { alpha: 2 }", -2.f, 2.f, 0.f, 0.01f);
  CheckInPlace("type: 'ELU' elu_param { alpha: 0.7 }", -2.f, 2.f);
}

// ---- AbsVal ----

TEST(AbsValLayerTest, ForwardGradientAndNoInPlace) {
  ExpectValues({1.5f, 0.f, 2.f}, ForwardValues("type: 'AbsVal'", {-1.5f, 0.f, 2.f}));
  CheckEltwise("type: 'AbsVal'", -2.f, 2.f, 0.f, 0.01f);
  Blob both(2, 3, 1, 1);
  auto layer = MakeLayer("name: 'abs' type: 'AbsVal'");
  EXPECT_THROW(layer->SetUp({&both}, {&both}), Error);
}

// ---- Power ----

TEST(PowerLayerTest, Forward) {
  // (shift + scale * x) ^ power
  ExpectValues(
      {std::pow(1.f + 2.f * 0.5f, 3.f), std::pow(1.f + 2.f * 1.5f, 3.f)},
      ForwardValues("type: 'Power' power_param { power: 3 scale: 2 shift: 1 }", {0.5f, 1.5f}),
      1e-4f);
  ExpectValues({1.f, 4.f}, ForwardValues("type: 'Power' power_param { power: 2 }", {-1.f, 2.f}));
  ExpectValues({1.f, 1.f}, ForwardValues("type: 'Power' power_param { power: 0 }", {-1.f, 2.f}));
  ExpectValues({-0.5f, 2.5f},
               ForwardValues("type: 'Power' power_param { scale: 1 shift: 0.5 }", {-1.f, 2.f}));
  ExpectValues({2.f, 2.f},
               ForwardValues("type: 'Power' power_param { scale: 0 shift: 2 }", {-1.f, 5.f}));
  ExpectValues({std::sqrt(2.f), 3.f},
               ForwardValues("type: 'Power' power_param { power: 0.5 }", {2.f, 9.f}));
}

TEST(PowerLayerTest, Gradient) {
  // Inputs kept where the base is positive so fractional powers are defined.
  CheckEltwise("type: 'Power' power_param { power: 3 scale: 0.5 shift: 2 }", -1.f, 1.f);
  CheckEltwise("type: 'Power' power_param { power: 2 scale: -1 shift: 0.3 }", -1.f, 1.f);
  CheckEltwise("type: 'Power' power_param { power: 0.37 scale: 0.83 shift: 2 }", -1.f, 1.f);
  CheckEltwise("type: 'Power' power_param { power: -1.5 scale: 1 shift: 3 }", -1.f, 1.f);
  CheckEltwise("type: 'Power' power_param { power: 1 scale: 0.5 shift: -1 }", -1.f, 1.f);
  CheckEltwise("type: 'Power' power_param { power: 0 scale: 0.5 shift: 1 }", -1.f, 1.f);
  CheckEltwise("type: 'Power' power_param { power: 2 scale: 0 shift: 1 }", -1.f, 1.f);
  CheckInPlace("type: 'Power' power_param { power: 2.5 scale: 0.5 shift: 2 }", -1.f, 1.f);
}

// ---- Exp ----

TEST(ExpLayerTest, Forward) {
  ExpectValues({std::exp(-1.f), 1.f, std::exp(2.f)}, ForwardValues("type: 'Exp'", {-1.f, 0.f, 2.f}),
               1e-4f);
  // 2 ^ (1 + 3x)
  ExpectValues({std::pow(2.f, 1.f + 3.f * 0.5f), std::pow(2.f, 1.f - 3.f)},
               ForwardValues("type: 'Exp' exp_param { base: 2 scale: 3 shift: 1 }", {0.5f, -1.f}),
               1e-4f);
  // e ^ (0.5 - x)
  ExpectValues({std::exp(0.5f - 2.f)},
               ForwardValues("type: 'Exp' exp_param { scale: -1 shift: 0.5 }", {2.f}));
}

TEST(ExpLayerTest, GradientAndErrors) {
  CheckEltwise("type: 'Exp'", -1.f, 1.f);
  CheckEltwise("type: 'Exp' exp_param { base: 3 scale: 0.5 shift: 1 }", -1.f, 1.f);
  CheckEltwise("type: 'Exp' exp_param { base: 0.5 scale: -2 shift: -1 }", -1.f, 1.f);
  CheckInPlace("type: 'Exp' exp_param { base: 2 scale: 0.5 shift: 1 }", -1.f, 1.f);
  Blob bottom(1, 2, 1, 1);
  Blob top;
  EXPECT_THROW(MakeLayer("type: 'Exp' exp_param { base: -2 }")->SetUp({&bottom}, {&top}), Error);
  EXPECT_THROW(MakeLayer("type: 'Exp' exp_param { base: 0 }")->SetUp({&bottom}, {&top}), Error);
}

// ---- Log ----

TEST(LogLayerTest, Forward) {
  ExpectValues({std::log(0.5f), 0.f, std::log(3.f)},
               ForwardValues("type: 'Log'", {0.5f, 1.f, 3.f}));
  // log2(1 + 2x)
  ExpectValues({3.f, 0.f},
               ForwardValues("type: 'Log' log_param { base: 2 scale: 2 shift: 1 }", {3.5f, 0.f}));
  ExpectValues({2.f}, ForwardValues("type: 'Log' log_param { base: 10 shift: 99 }", {1.f}));
}

TEST(LogLayerTest, GradientAndErrors) {
  CheckEltwise("type: 'Log'", 0.5f, 2.f);
  CheckEltwise("type: 'Log' log_param { base: 2 scale: 0.5 shift: 2 }", -1.f, 1.f);
  CheckEltwise("type: 'Log' log_param { base: 0.3 scale: -1 shift: 3 }", -1.f, 1.f);
  CheckInPlace("type: 'Log' log_param { base: 5 scale: 2 shift: 3 }", -1.f, 1.f);
  Blob bottom(1, 2, 1, 1);
  Blob top;
  EXPECT_THROW(MakeLayer("type: 'Log' log_param { base: -3 }")->SetUp({&bottom}, {&top}), Error);
  EXPECT_THROW(MakeLayer("type: 'Log' log_param { base: 1 }")->SetUp({&bottom}, {&top}), Error);
}

// ---- BNLL ----

TEST(BNLLLayerTest, ForwardIncludingLargeInputs) {
  ExpectValues({std::log(2.f), std::log(1.f + std::exp(1.5f)), std::log(1.f + std::exp(-2.f))},
               ForwardValues("type: 'BNLL'", {0.f, 1.5f, -2.f}));
  // No overflow: log(1 + e^100) = 100, log(1 + e^-100) ~ e^-100.
  ExpectValues({100.f, 0.f}, ForwardValues("type: 'BNLL'", {100.f, -100.f}));
}

TEST(BNLLLayerTest, Gradient) {
  CheckEltwise("type: 'BNLL'", -3.f, 3.f);
  CheckInPlace("type: 'BNLL'", -3.f, 3.f);
}

// ---- Threshold ----

TEST(ThresholdLayerTest, ForwardAndNoBackward) {
  ExpectValues({0.f, 0.f, 1.f}, ForwardValues("type: 'Threshold'", {-1.f, 0.f, 0.5f}));
  ExpectValues(
      {0.f, 0.f, 1.f},
      ForwardValues("type: 'Threshold' threshold_param { threshold: 0.5 }", {0.2f, 0.5f, 0.7f}));
  Blob bottom(1, 3, 1, 1);
  Blob top;
  auto layer = MakeLayer("name: 'th' type: 'Threshold'");
  layer->SetUp({&bottom}, {&top});
  layer->Forward({&bottom}, {&top});
  EXPECT_NO_THROW(layer->Backward({&top}, {false}, {&bottom}));
  try {
    layer->Backward({&top}, {true}, {&bottom});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string::npos, std::string(e.what()).find("'th' (Threshold)"));
  }
}

// ---- Clip ----

TEST(ClipLayerTest, Forward) {
  ExpectValues(
      {-1.f, -0.5f, 0.f, 2.f, 2.f},
      ForwardValues("type: 'Clip' clip_param { min: -1 max: 2 }", {-3.f, -0.5f, 0.f, 2.f, 7.f}));
}

TEST(ClipLayerTest, GradientInPlaceAndErrors) {
  CheckEltwise("type: 'Clip' clip_param { min: -1 max: 2 }", -3.f, 3.f, -1.f, 0.01f);
  CheckEltwise("type: 'Clip' clip_param { min: 0.5 max: 0.6 }", 0.f, 1.f, 0.5f, 0.01f);
  CheckInPlace("type: 'Clip' clip_param { min: -0.5 max: 0.5 }", -1.f, 1.f);
  Blob bottom(1, 2, 1, 1);
  Blob top;
  EXPECT_THROW(MakeLayer("type: 'Clip' clip_param { min: 2 max: 1 }")->SetUp({&bottom}, {&top}),
               Error);
  EXPECT_THROW(MakeLayer("type: 'Clip'")->SetUp({&bottom}, {&top}), Error);
}

// ---- Swish ----

TEST(SwishLayerTest, Forward) {
  auto swish = [](float x, float beta) { return x / (1.f + std::exp(-beta * x)); };
  ExpectValues({swish(-1.f, 1.f), 0.f, swish(2.f, 1.f)},
               ForwardValues("type: 'Swish'", {-1.f, 0.f, 2.f}));
  ExpectValues({swish(-1.f, 1.5f), swish(0.7f, 1.5f)},
               ForwardValues("type: 'Swish' swish_param { beta: 1.5 }", {-1.f, 0.7f}));
}

TEST(SwishLayerTest, Gradient) {
  CheckEltwise("type: 'Swish'", -3.f, 3.f);
  CheckEltwise("type: 'Swish' swish_param { beta: 0.5 }", -3.f, 3.f);
  CheckEltwise("type: 'Swish' swish_param { beta: 2.5 }", -3.f, 3.f);
  CheckInPlace("type: 'Swish' swish_param { beta: 1.5 }", -3.f, 3.f);
}

}  // namespace
}  // namespace crema
