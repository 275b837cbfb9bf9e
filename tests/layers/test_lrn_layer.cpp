// LRN: hand-computed values in both normalization regions, a direct
// reference with Caffe's defaults, numerical gradients and errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "crema/layer_registry.hpp"
#include "crema/layers/lrn_layer.hpp"
#include "support/gradient_checker.hpp"
#include "support/test_util.hpp"

namespace crema {
namespace {

using testing::FillGaussian;
using testing::GradientChecker;
using testing::ParseText;

LayerParameter LRNParam(const std::string& text) {
  return ParseText<LayerParameter>("name: 'norm' type: 'LRN' lrn_param { " +
                                   text + " }");
}

class LRNLayerTest : public ::testing::Test {
 protected:
  LRNLayerTest() { Crema::set_random_seed(1701); }

  std::vector<float> Forward(const std::string& text,
                             const std::vector<int>& shape,
                             const std::vector<float>& values) {
    bottom_.Reshape(shape);
    std::copy(values.begin(), values.end(), bottom_.mutable_cpu_data());
    auto layer = LayerRegistry::Create(LRNParam(text));
    layer->SetUp({&bottom_}, {&top_});
    layer->Forward({&bottom_}, {&top_});
    return std::vector<float>(top_.cpu_data(), top_.cpu_data() + top_.count());
  }

  // With the default engine and with the reference engine forced.
  void CheckGradient(const std::string& text, const std::vector<int>& shape) {
    for (const std::string& engine : testing::EnginesUnderTest()) {
      SCOPED_TRACE("{" + text + "} engine " + (engine.empty() ? "default" : engine));
      bottom_.Reshape(shape);
      FillGaussian(&bottom_);
      auto layer = LayerRegistry::Create(testing::WithEngine(LRNParam(text), engine));
      GradientChecker checker(1e-2f, 1e-2f);
      checker.CheckGradientExhaustive(layer.get(), {&bottom_}, {&top_});
    }
  }

  Blob bottom_, top_;
};

// x = [1 2 3] over channels, size 3, alpha 3 (alpha / size = 1), beta 0.5,
// k 2: scale = 2 + (sum of squares over the clipped channel window).
TEST_F(LRNLayerTest, ForwardAcrossChannelsByHand) {
  const std::vector<float> out =
      Forward("local_size: 3 alpha: 3 beta: 0.5 k: 2", {1, 3, 1, 1}, {1, 2, 3});
  EXPECT_FLOAT_EQ(1 / std::sqrt(7.f), out[0]);   // 2 + 1 + 4
  EXPECT_FLOAT_EQ(2 / std::sqrt(16.f), out[1]);  // 2 + 1 + 4 + 9
  EXPECT_FLOAT_EQ(3 / std::sqrt(15.f), out[2]);  // 2 + 4 + 9
}

// 3x3 image 1..9, size 3, alpha 9 (alpha / size^2 = 1), beta 1:
// scale = 1 + sum of squares over the zero-padded 3x3 window; k is not used
// within a channel (as in Caffe).
TEST_F(LRNLayerTest, ForwardWithinChannelByHand) {
  std::vector<float> image(9);
  for (int i = 0; i < 9; ++i) image[i] = i + 1;
  const std::string text =
      "local_size: 3 alpha: 9 beta: 1 norm_region: WITHIN_CHANNEL";
  for (const std::string& k : {"", " k: 5"}) {
    const std::vector<float> out = Forward(text + k, {1, 1, 3, 3}, image);
    EXPECT_FLOAT_EQ(1.f / 47, out[0]);   // 1 + (1 + 4 + 16 + 25)
    EXPECT_FLOAT_EQ(2.f / 92, out[1]);   // 1 + (1 + 4 + 9 + 16 + 25 + 36)
    EXPECT_FLOAT_EQ(5.f / 286, out[4]);  // 1 + (1 + 4 + ... + 81)
    EXPECT_FLOAT_EQ(9.f / 207, out[8]);  // 1 + (25 + 36 + 64 + 81)
  }
}

// Caffe's defaults (size 5, alpha 1, beta 0.75, k 1) against the formula.
TEST_F(LRNLayerTest, ForwardAcrossChannelsDefaults) {
  bottom_.Reshape({2, 7, 3, 3});
  FillGaussian(&bottom_);
  auto layer = LayerRegistry::Create(LRNParam(""));
  layer->SetUp({&bottom_}, {&top_});
  layer->Forward({&bottom_}, {&top_});
  for (int n = 0; n < 2; ++n) {
    for (int c = 0; c < 7; ++c) {
      for (int h = 0; h < 3; ++h) {
        for (int w = 0; w < 3; ++w) {
          float scale = 0;
          for (int c2 = std::max(c - 2, 0); c2 <= std::min(c + 2, 6); ++c2) {
            scale += std::pow(bottom_.data_at(n, c2, h, w), 2.f);
          }
          scale = 1 + scale / 5;
          EXPECT_NEAR(bottom_.data_at(n, c, h, w) * std::pow(scale, -0.75f),
                      top_.data_at(n, c, h, w), 1e-5);
        }
      }
    }
  }
}

TEST_F(LRNLayerTest, GradientAcrossChannels) {
  CheckGradient("", {2, 7, 3, 3});
  CheckGradient("local_size: 3 alpha: 2 beta: 0.5 k: 2", {1, 4, 2, 3});
  CheckGradient("local_size: 1 alpha: 0.5", {1, 3, 2, 2});
}

TEST_F(LRNLayerTest, GradientWithinChannel) {
  CheckGradient("norm_region: WITHIN_CHANNEL local_size: 3", {2, 2, 4, 3});
  CheckGradient("norm_region: WITHIN_CHANNEL local_size: 5 alpha: 3 beta: 0.6",
                {1, 2, 3, 4});
}

TEST_F(LRNLayerTest, Errors) {
  bottom_.Reshape({1, 3, 2, 2});
  try {
    LayerRegistry::Create(LRNParam("local_size: 4"))
        ->SetUp({&bottom_}, {&top_});
    ADD_FAILURE() << "expected an error for an even local_size";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("layer 'norm' (LRN)"),
              std::string::npos);
    EXPECT_NE(std::string(e.what()).find("local_size must be odd"),
              std::string::npos);
  }
  bottom_.Reshape({3, 2, 2});
  EXPECT_THROW(LayerRegistry::Create(LRNParam(""))->SetUp({&bottom_}, {&top_}),
               Error);
}

}  // namespace
}  // namespace crema
