// ROIPooling: the worked 8x8 example by hand, Fast R-CNN's rounding and
// clipping, backward to the argmax, numerical gradients and bad input.
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

using testing::GradientChecker;
using testing::ParseText;

LayerParameter RoiParam(int pooled_h, int pooled_w, float scale = 1.f) {
  return ParseText<LayerParameter>(
      "name: 'roi' type: 'ROIPooling' roi_pooling_param { pooled_h: " +
      std::to_string(pooled_h) + " pooled_w: " + std::to_string(pooled_w) +
      " spatial_scale: " + std::to_string(scale) + " }");
}

class ROIPoolingLayerTest : public ::testing::Test {
 protected:
  ROIPoolingLayerTest() : features_(1, 1, 8, 8), rois_(std::vector<int>{1, 5}) {
    // An 8 x 8 map holding 0 .. 63 once each: (h * 8 + w) * 37 mod 64.
    //  row 0:  0 37 10 47 20 57 30  3
    //  row 1: 40 13 50 23 60 33  6 43
    //  row 2: 16 53 26 63 36  9 46 19
    //  row 3: 56 29  2 39 12 49 22 59
    //  row 4: 32  5 42 15 52 25 62 35
    //  row 5:  8 45 18 55 28  1 38 11
    //  row 6: 48 21 58 31  4 41 14 51
    //  row 7: 24 61 34  7 44 17 54 27
    for (int i = 0; i < 64; ++i)
      features_.mutable_cpu_data()[i] = (i * 37) % 64;
  }
  void SetRoi(std::vector<float> roi) {
    rois_.Reshape(std::vector<int>{static_cast<int>(roi.size() / 5), 5});
    std::copy(roi.begin(), roi.end(), rois_.mutable_cpu_data());
  }
  std::vector<float> Run(const LayerParameter& param) {
    layer_ = LayerRegistry::Create(param);
    layer_->SetUp({&features_, &rois_}, {&top_});
    layer_->Forward({&features_, &rois_}, {&top_});
    return std::vector<float>(top_.cpu_data(), top_.cpu_data() + top_.count());
  }
  Blob features_, rois_, top_;
  std::shared_ptr<Layer> layer_;
};

TEST_F(ROIPoolingLayerTest, WorkedExampleByHand) {
  // Region x 0..6, y 3..7: 7 wide and 5 tall, so each of the 2 x 2 bins is
  // 3.5 wide and 2.5 tall. Rows: [floor(0), ceil(2.5)) + 3 = 3..5 and
  // [floor(2.5), ceil(5)) + 3 = 5..7; columns: [0, ceil(3.5)) = 0..3 and
  // [floor(3.5), ceil(7)) = 3..6 (neighbouring bins share row 5 and
  // column 3). Maxima: rows 3-5 x cols 0-3: 56 at (3, 0); rows 3-5 x cols
  // 3-6: 62 at (4, 6); rows 5-7 x cols 0-3: 61 at (7, 1); rows 5-7 x cols
  // 3-6: 55 at (5, 3).
  SetRoi({0, 0, 3, 6, 7});
  EXPECT_EQ((std::vector<float>{56, 62, 61, 55}), Run(RoiParam(2, 2)));
  EXPECT_EQ((std::vector<int>{1, 1, 2, 2}), top_.shape());

  // Backward: each output's gradient goes to its argmax only.
  for (int i = 0; i < 4; ++i) top_.mutable_cpu_diff()[i] = i + 1.f;
  layer_->Backward({&top_}, {true, false}, {&features_, &rois_});
  std::vector<float> expected(64, 0.f);
  expected[3 * 8 + 0] = 1;
  expected[4 * 8 + 6] = 2;
  expected[7 * 8 + 1] = 3;
  expected[5 * 8 + 3] = 4;
  EXPECT_EQ(expected, std::vector<float>(features_.cpu_diff(),
                                         features_.cpu_diff() + 64));
}

TEST_F(ROIPoolingLayerTest, SpatialScaleRoundsCorners) {
  // Corners 1.5 * 2 = 3 and 2.6 * 2 = 5.2 -> 5: the single bin covers rows
  // and columns 3..5 of the map (maximum 55 at (5, 3)).
  SetRoi({0, 1.5f, 1.5f, 2.6f, 2.6f});
  EXPECT_EQ((std::vector<float>{55}), Run(RoiParam(1, 1, 2.f)));
  // 0.25 * 2 = 0.5 rounds away from zero to 1: rows and columns 1..1.
  SetRoi({0, 0.25f, 0.25f, 0.25f, 0.25f});
  EXPECT_EQ((std::vector<float>{13}), Run(RoiParam(1, 1, 2.f)));
}

TEST_F(ROIPoolingLayerTest, RegionsOutsideTheMapAreClipped) {
  // x 6..20, y -5..1 clip to columns 6..7, rows 0..1: maximum 43 at (1, 7).
  SetRoi({0, 6, -5, 20, 1});
  EXPECT_EQ((std::vector<float>{43}), Run(RoiParam(1, 1)));
  // Entirely outside: every bin is empty and outputs 0 (no gradient).
  SetRoi({0, 10, 10, 12, 12});
  EXPECT_EQ((std::vector<float>{0, 0, 0, 0}), Run(RoiParam(2, 2)));
  top_.mutable_cpu_diff()[0] = 1.f;
  layer_->Backward({&top_}, {true, false}, {&features_, &rois_});
  EXPECT_EQ(0.f, features_.asum_diff());
  // A one-pixel region repeats its value in every bin.
  SetRoi({0, 2, 2, 2, 2});
  EXPECT_EQ((std::vector<float>{26, 26, 26, 26}), Run(RoiParam(2, 2)));
}

TEST_F(ROIPoolingLayerTest, SeveralImagesAndRegions) {
  features_.Reshape(2, 2, 3, 4);
  std::iota(features_.mutable_cpu_data(),
            features_.mutable_cpu_data() + features_.count(), 0.f);
  SetRoi({1, 0, 0, 3, 2, 0, 1, 1, 1, 1});
  const std::vector<float> out = Run(RoiParam(1, 1));
  EXPECT_EQ((std::vector<int>{2, 2, 1, 1}), top_.shape());
  // Image 1, channels 0 and 1 (planes 2 and 3): maxima 35 and 47; image 0,
  // the single cell (1, 1): 5 and 17.
  EXPECT_EQ((std::vector<float>{35, 47, 5, 17}), out);
}

TEST_F(ROIPoolingLayerTest, Gradient) {
  for (const auto& [ph, pw] :
       std::vector<std::pair<int, int>>{{2, 2}, {3, 2}, {1, 3}}) {
    features_.Reshape(2, 2, 6, 5);
    std::vector<float> values(features_.count());
    std::iota(values.begin(), values.end(), 0.f);
    std::shuffle(values.begin(), values.end(), Crema::rng());
    for (int i = 0; i < features_.count(); ++i) {
      features_.mutable_cpu_data()[i] = 0.1f * values[i];
    }
    SetRoi({0, 0, 0, 4, 5, 1, 1, 2, 3, 4, 1, -1, -1, 2, 2});
    layer_ = LayerRegistry::Create(RoiParam(ph, pw));
    GradientChecker checker(1e-3f, 1e-2f);
    checker.CheckGradientExhaustive(layer_.get(), {&features_, &rois_}, {&top_},
                                    0);
  }
}

TEST_F(ROIPoolingLayerTest, BadInput) {
  auto expect_error = [&](const LayerParameter& param,
                          const std::string& fragment) {
    try {
      Run(param);
      ADD_FAILURE() << "expected an error containing " << fragment;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos)
          << e.what();
    }
  };
  SetRoi({1, 0, 0, 2, 2});
  expect_error(RoiParam(2, 2), "batch index 1");
  SetRoi({-1, 0, 0, 2, 2});
  expect_error(RoiParam(2, 2), "batch index -1");
  SetRoi({0, 0, 0, 2, 2});
  expect_error(RoiParam(0, 2), "pooled_h");
  rois_.Reshape(std::vector<int>{2, 4});
  expect_error(RoiParam(2, 2), "R x 5");
}

}  // namespace
}  // namespace crema
