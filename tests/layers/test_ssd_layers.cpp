// The SSD fork's geometry layers: Permute, Normalize, PriorBox and
// DetectionOutput on cases worked by hand, numerical gradients for the two
// with a backward, and the box helpers they share.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "crema/layer_registry.hpp"
#include "crema/layers/bbox_util.hpp"
#include "support/gradient_checker.hpp"
#include "support/test_util.hpp"

namespace crema {
namespace {

using testing::GradientChecker;
using testing::ParseText;

std::vector<float> Values(const Blob& blob) {
  return std::vector<float>(blob.cpu_data(), blob.cpu_data() + blob.count());
}

void Set(Blob* blob, const std::vector<float>& values) {
  ASSERT_EQ(static_cast<size_t>(blob->count()), values.size());
  std::copy(values.begin(), values.end(), blob->mutable_cpu_data());
}

std::shared_ptr<Layer> Make(const std::string& text, const std::vector<Blob*>& bottom,
                            const std::vector<Blob*>& top) {
  auto layer = LayerRegistry::Create(ParseText<LayerParameter>(text));
  layer->SetUp(bottom, top);
  return layer;
}

TEST(PermuteLayer, ChannelsLastByHand) {
  Blob in(std::vector<int>{1, 2, 2, 3}), out;
  for (int i = 0; i < 12; ++i) in.mutable_cpu_data()[i] = i;
  auto layer = Make("type: 'Permute' permute_param { order: 0 order: 2 order: 3 order: 1 }",
                    {&in}, {&out});
  layer->Forward({&in}, {&out});
  EXPECT_EQ((std::vector<int>{1, 2, 3, 2}), out.shape());
  // in[c][h][w] = c*6 + h*3 + w; out[h][w][c].
  EXPECT_EQ((std::vector<float>{0, 6, 1, 7, 2, 8, 3, 9, 4, 10, 5, 11}), Values(out));
}

TEST(PermuteLayer, UnlistedAxesFollowAndBadOrderIsAnError) {
  Blob in(std::vector<int>{2, 3, 4}), out;
  auto layer = Make("type: 'Permute' permute_param { order: 2 }", {&in}, {&out});
  EXPECT_EQ((std::vector<int>{4, 2, 3}), out.shape());
  EXPECT_THROW(Make("name: 'p' type: 'Permute' permute_param { order: 3 }", {&in}, {&out}),
               Error);
  EXPECT_THROW(Make("type: 'Permute' permute_param { order: 1 order: 1 }", {&in}, {&out}),
               Error);
}

TEST(PermuteLayer, Gradient) {
  Blob in(std::vector<int>{2, 3, 2, 4}), out;
  testing::FillGaussian(&in);
  auto layer = Make("type: 'Permute' permute_param { order: 0 order: 3 order: 1 order: 2 }",
                    {&in}, {&out});
  GradientChecker checker(1e-2f, 1e-3f);
  checker.CheckGradientExhaustive(layer.get(), {&in}, {&out});
}

TEST(NormalizeLayer, AcrossSpatialAndPerPositionByHand) {
  Blob in(std::vector<int>{1, 2, 1, 2}), out;
  Set(&in, {3, 0, 4, 5});  // channel 0: 3 0, channel 1: 4 5
  auto across = Make("type: 'Normalize' norm_param { across_spatial: true "
                     "scale_filler { type: 'constant' value: 2 } }", {&in}, {&out});
  across->Forward({&in}, {&out});
  const float norm = std::sqrt(9.f + 16.f + 25.f);
  const std::vector<float> got = Values(out);
  const std::vector<float> want = {2 * 3 / norm, 0, 2 * 4 / norm, 2 * 5 / norm};
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(want[i], got[i], 1e-6);

  auto per_position = Make("type: 'Normalize' norm_param { across_spatial: false "
                           "channel_shared: false }", {&in}, {&out});
  per_position->blobs()[0]->mutable_cpu_data()[1] = 10.f;  // channel 1 scale
  per_position->Forward({&in}, {&out});
  // position 0: norm 5 -> 3/5, 10*4/5; position 1: norm 5 -> 0, 10*5/5.
  const std::vector<float> got2 = Values(out);
  const std::vector<float> want2 = {0.6f, 0.f, 8.f, 10.f};
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(want2[i], got2[i], 1e-5);
  EXPECT_EQ(1, across->blobs()[0]->count());
  EXPECT_EQ(2, per_position->blobs()[0]->count());
}

TEST(NormalizeLayer, Gradients) {
  for (const char* spatial : {"true", "false"}) {
    for (const char* shared : {"true", "false"}) {
      SCOPED_TRACE(std::string("across_spatial ") + spatial + " channel_shared " + shared);
      Blob in(std::vector<int>{2, 3, 2, 2}), out;
      testing::FillGaussian(&in);
      auto layer = Make(std::string("type: 'Normalize' norm_param { across_spatial: ") +
                            spatial + " channel_shared: " + shared +
                            " scale_filler { type: 'uniform' min: 0.5 max: 2 } }",
                        {&in}, {&out});
      GradientChecker checker(1e-3f, 2e-2f);
      checker.CheckGradientExhaustive(layer.get(), {&in}, {&out});
    }
  }
}

TEST(PriorBoxLayer, OneCellByHand) {
  Blob feature(std::vector<int>{1, 1, 1, 2}), image(std::vector<int>{1, 3, 100, 200}), out;
  // Cells are 100 x 100; centres (50, 50) and (150, 50). min 20, max 80:
  // sqrt(1600) = 40; ratio 4 (flip 1/4): 40 x 10 and 10 x 40.
  auto layer = Make("type: 'PriorBox' prior_box_param { min_size: 20 max_size: 80 "
                    "aspect_ratio: 4 flip: true variance: 0.1 variance: 0.1 "
                    "variance: 0.2 variance: 0.2 }", {&feature, &image}, {&out});
  layer->Forward({&feature, &image}, {&out});
  ASSERT_EQ((std::vector<int>{1, 2, 2 * 4 * 4}), out.shape());
  const std::vector<float> v = Values(out);
  const std::vector<float> cell0 = {
      40 / 200.f, 40 / 100.f, 60 / 200.f, 60 / 100.f,   // 20 x 20
      30 / 200.f, 30 / 100.f, 70 / 200.f, 70 / 100.f,   // 40 x 40
      30 / 200.f, 45 / 100.f, 70 / 200.f, 55 / 100.f,   // 40 wide, 10 tall
      45 / 200.f, 30 / 100.f, 55 / 200.f, 70 / 100.f};  // 10 wide, 40 tall
  for (int i = 0; i < 16; ++i) EXPECT_NEAR(cell0[i], v[i], 1e-6) << i;
  EXPECT_NEAR(140 / 200.f, v[16], 1e-6);  // second cell, first box xmin
  for (int i = 0; i < 32; ++i) EXPECT_FLOAT_EQ(i % 4 < 2 ? 0.1f : 0.2f, v[32 + i]);
}

TEST(PriorBoxLayer, StepOffsetClipAndErrors) {
  Blob feature(std::vector<int>{1, 1, 2, 2}), image(std::vector<int>{1, 3, 10, 10}), out;
  auto layer = Make("type: 'PriorBox' prior_box_param { min_size: 8 clip: true "
                    "img_size: 20 step: 5 offset: 0 }", {&feature, &image}, {&out});
  layer->Forward({&feature, &image}, {&out});
  const std::vector<float> v = Values(out);
  // Cell (0, 0): centre (0, 0), box -4..4 -> clipped to 0..0.2.
  EXPECT_EQ((std::vector<float>{0, 0, 0.2f, 0.2f}), std::vector<float>(v.begin(), v.begin() + 4));
  // Cell (0, 1): centre (5, 0): x 1..9 / 20.
  EXPECT_NEAR(0.05f, v[4], 1e-6);
  EXPECT_NEAR(0.45f, v[6], 1e-6);
  EXPECT_FLOAT_EQ(0.1f, v[16]);  // the default variance
  EXPECT_THROW(Make("type: 'PriorBox' prior_box_param { min_size: 8 max_size: 4 }",
                    {&feature, &image}, {&out}), Error);
  EXPECT_THROW(Make("type: 'PriorBox' prior_box_param { min_size: 8 variance: 0.1 "
                    "variance: 0.2 }", {&feature, &image}, {&out}), Error);
  EXPECT_THROW(Make("type: 'PriorBox' prior_box_param { }", {&feature, &image}, {&out}),
               Error);
}

TEST(BoxHelpers, OverlapCodesAndNms) {
  const Box a{0, 0, 0.5f, 0.5f}, b{0.25f, 0.25f, 0.75f, 0.75f};
  EXPECT_NEAR(0.0625f / (0.25f + 0.25f - 0.0625f), JaccardOverlap(a, b), 1e-6);
  EXPECT_EQ(0.f, JaccardOverlap(a, Box{0.6f, 0.6f, 0.9f, 0.9f}));
  const float var[4] = {0.1f, 0.1f, 0.2f, 0.2f};
  for (auto code : {PriorBoxParameter::CORNER, PriorBoxParameter::CENTER_SIZE,
                    PriorBoxParameter::CORNER_SIZE}) {
    float loc[4];
    EncodeBox(a, var, code, false, b, loc);
    const Box back = DecodeBox(a, var, code, false, loc);
    EXPECT_NEAR(b.xmin, back.xmin, 1e-6);
    EXPECT_NEAR(b.ymax, back.ymax, 1e-6);
  }
  // CENTER_SIZE by hand: prior centre (0.25, 0.25), size 0.5; loc (1, 0, ln2/0.2, 0).
  const float loc[4] = {1.f, 0.f, std::log(2.f) / 0.2f, 0.f};
  const Box d = DecodeBox(a, var, PriorBoxParameter::CENTER_SIZE, false, loc);
  EXPECT_NEAR(0.3f - 0.5f, d.xmin, 1e-6);  // centre 0.25 + 0.1*1*0.5, width 1
  EXPECT_NEAR(0.3f + 0.5f, d.xmax, 1e-6);
  EXPECT_NEAR(0.0f, d.ymin, 1e-6);
  // NMS: box 1 overlaps box 0 by 0.81 (suppressed at 0.5), box 2 is apart.
  const std::vector<Box> boxes = {{0, 0, 1, 1}, {0, 0, 0.9f, 0.9f}, {2, 2, 3, 3}};
  const float scores[3] = {0.9f, 0.95f, 0.1f};
  EXPECT_EQ((std::vector<int>{1, 2}), NmsFast(boxes, scores, 0.f, 0.5f, 1.f, -1));
  EXPECT_EQ((std::vector<int>{1, 0, 2}), NmsFast(boxes, scores, 0.f, 0.85f, 1.f, -1));
  EXPECT_EQ((std::vector<int>{1}), NmsFast(boxes, scores, 0.2f, 0.5f, 1.f, -1));
  EXPECT_EQ((std::vector<int>{1}), NmsFast(boxes, scores, 0.f, 0.5f, 1.f, 1));
  // eta: threshold 0.85 shrinks to 0.85 * 0.9 = 0.765 after the first keep.
  EXPECT_EQ((std::vector<int>{1, 2}), NmsFast(boxes, scores, 0.f, 0.85f, 0.9f, -1));
}

TEST(BoxHelpers, AveragePrecisionVersions) {
  // Scores descending: tp, fp, tp with 4 positives: precision 1, 1/2, 2/3;
  // recall 1/4, 1/4, 1/2.
  const std::vector<std::pair<float, int>> dets = {{0.9f, 1}, {0.8f, 0}, {0.7f, 1}};
  // 11 point: recall >= 0, 0.1, 0.2 -> max precision 1; 0.3 .. 0.5 -> 2/3.
  EXPECT_NEAR((3 * 1.f + 3 * 2.f / 3.f) / 11.f, AveragePrecision(dets, 4, "11point"), 1e-6);
  // MaxIntegral: 1 * 0.25 + 2/3 * 0.25.
  EXPECT_NEAR(0.25f + 0.25f * 2.f / 3.f, AveragePrecision(dets, 4, "MaxIntegral"), 1e-6);
  EXPECT_NEAR(0.25f + 0.25f * 2.f / 3.f, AveragePrecision(dets, 4, "Integral"), 1e-6);
  EXPECT_THROW(AveragePrecision(dets, 4, "bogus"), Error);
  // Two classes, one with AP 1 and one with AP 0: mAP 0.5.
  const std::vector<std::vector<float>> rows = {
      {-1, 1, 1, -1, -1, -1, 2, 1, -1, -1, 0, 1, 0.9f, 1, 0, 0, 2, 0.8f, 0, 1}};
  std::vector<std::pair<int, float>> per_class;
  EXPECT_NEAR(0.5f, MeanAveragePrecision(rows, "11point", &per_class), 1e-6);
  ASSERT_EQ(2u, per_class.size());
  EXPECT_NEAR(1.f, per_class[0].second, 1e-6);
}

class DetectionOutputTest : public ::testing::Test {
 protected:
  // Two priors side by side, three classes (0 background), one image.
  DetectionOutputTest()
      : loc_(std::vector<int>{1, 8}), conf_(std::vector<int>{1, 6}),
        prior_(std::vector<int>{1, 2, 8}) {
    Set(&prior_, {0, 0, 0.5f, 0.5f, 0.5f, 0, 1, 0.5f,
                  0.1f, 0.1f, 0.2f, 0.2f, 0.1f, 0.1f, 0.2f, 0.2f});
    Set(&loc_, {0, 0, 0, 0, 1, 0, 0, 0});
    Set(&conf_, {0.1f, 0.7f, 0.2f, 0.3f, 0.6f, 0.1f});
  }
  std::vector<float> Run(const std::string& params) {
    auto layer = Make("type: 'DetectionOutput' detection_output_param { num_classes: 3 " +
                      params + " }", {&loc_, &conf_, &prior_}, {&top_});
    layer->Forward({&loc_, &conf_, &prior_}, {&top_});
    return Values(top_);
  }
  Blob loc_, conf_, prior_, top_;
};

TEST_F(DetectionOutputTest, CenterSizeDecodeThresholdAndOrder) {
  // Prior 1 shifts right by 0.1 * 1 * 0.5 = 0.05 (CENTER_SIZE). Class 1:
  // 0.7 (prior 0), 0.6 (prior 1); class 2: 0.2 only above 0.15.
  const std::vector<float> got = Run("code_type: CENTER_SIZE confidence_threshold: 0.15 "
                                     "nms_param { nms_threshold: 0.45 }");
  const std::vector<float> want = {0, 1, 0.7f, 0, 0, 0.5f, 0.5f,
                                   0, 1, 0.6f, 0.55f, 0, 1.05f, 0.5f,
                                   0, 2, 0.2f, 0, 0, 0.5f, 0.5f};
  ASSERT_EQ((std::vector<int>{1, 1, 3, 7}), top_.shape());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(want[i], got[i], 1e-6) << i;
}

TEST_F(DetectionOutputTest, CornerKeepTopKAndNothingFound) {
  // CORNER: prior 1's xmin moves by 0.1 * 1.
  std::vector<float> got = Run("code_type: CORNER keep_top_k: 2 nms_param { nms_threshold: 0.45 }");
  ASSERT_EQ((std::vector<int>{1, 1, 2, 7}), top_.shape());
  EXPECT_EQ(1.f, got[1]);
  EXPECT_NEAR(0.7f, got[2], 1e-6);
  EXPECT_NEAR(0.6f, got[9], 1e-6);
  EXPECT_NEAR(0.6f, got[10], 1e-6);  // 0.5 + 0.1
  got = Run("confidence_threshold: 0.9");
  EXPECT_EQ((std::vector<int>{1, 1, 1, 7}), top_.shape());
  EXPECT_EQ((std::vector<float>{0, -1, -1, -1, -1, -1, -1}), got);
}

TEST_F(DetectionOutputTest, NmsSuppressesOverlaps) {
  // Both priors decoded onto the same box: only the better score stays.
  Set(&prior_, {0, 0, 0.5f, 0.5f, 0, 0, 0.5f, 0.5f,
                0.1f, 0.1f, 0.2f, 0.2f, 0.1f, 0.1f, 0.2f, 0.2f});
  Set(&loc_, std::vector<float>(8, 0.f));
  const std::vector<float> got = Run("confidence_threshold: 0.15 nms_param { nms_threshold: 0.5 }");
  ASSERT_EQ((std::vector<int>{1, 1, 2, 7}), top_.shape());
  EXPECT_NEAR(0.7f, got[2], 1e-6);
  EXPECT_NEAR(0.2f, got[9], 1e-6);
}

}  // namespace
}  // namespace crema
