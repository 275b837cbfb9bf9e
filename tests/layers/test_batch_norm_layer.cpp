// BatchNorm: batch statistics, running averages, global statistics,
// parameter specs, gradients in both modes, in place.
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
using testing::GradientChecker;
using testing::ParseText;

std::shared_ptr<Layer> MakeLayer(const std::string& text) {
  return LayerRegistry::Create(ParseText<LayerParameter>(text));
}

void SetData(Blob* blob, const std::vector<float>& values) {
  ASSERT_EQ(blob->count(), static_cast<int>(values.size()));
  for (size_t i = 0; i < values.size(); ++i) blob->mutable_cpu_data()[i] = values[i];
}

// N=2, C=2, spatial 2. Channel 0 holds 1, 3, 5, 7 (mean 4, variance 5);
// channel 1 holds 0, 0, 2, 2 (mean 1, variance 1).
class BatchNormLayerTest : public ::testing::Test {
 protected:
  BatchNormLayerTest() : bottom_(2, 2, 1, 2) { SetData(&bottom_, {1, 3, 0, 0, 5, 7, 2, 2}); }
  Blob bottom_, top_;
  const float eps_ = 1e-5f;
};

TEST_F(BatchNormLayerTest, TrainNormalizesWithBatchStatistics) {
  auto layer = MakeLayer("type: 'BatchNorm' phase: TRAIN");
  layer->SetUp({&bottom_}, {&top_});
  layer->Forward({&bottom_}, {&top_});
  const float s0 = std::sqrt(5.f + eps_), s1 = std::sqrt(1.f + eps_);
  const float expected[] = {-3 / s0, -1 / s0, -1 / s1, -1 / s1,
                            1 / s0, 3 / s0, 1 / s1, 1 / s1};
  for (int i = 0; i < 8; ++i) EXPECT_NEAR(expected[i], top_.cpu_data()[i], 1e-5f) << i;
}

TEST_F(BatchNormLayerTest, RunningAverages) {
  auto layer = MakeLayer(
      "type: 'BatchNorm' phase: TRAIN batch_norm_param { moving_average_fraction: 0.9 }");
  layer->SetUp({&bottom_}, {&top_});
  ASSERT_EQ(3u, layer->blobs().size());
  EXPECT_EQ(std::vector<int>{2}, layer->blobs()[0]->shape());
  EXPECT_EQ(std::vector<int>{2}, layer->blobs()[1]->shape());
  EXPECT_EQ(std::vector<int>{1}, layer->blobs()[2]->shape());
  const auto& blobs = layer->blobs();
  layer->Forward({&bottom_}, {&top_});
  // Sums of means and of unbiased variances (m = 4: factor 4/3).
  EXPECT_FLOAT_EQ(1.f, blobs[2]->cpu_data()[0]);
  EXPECT_FLOAT_EQ(4.f, blobs[0]->cpu_data()[0]);
  EXPECT_FLOAT_EQ(1.f, blobs[0]->cpu_data()[1]);
  EXPECT_NEAR(20.f / 3, blobs[1]->cpu_data()[0], 1e-5f);
  EXPECT_NEAR(4.f / 3, blobs[1]->cpu_data()[1], 1e-5f);
  layer->Forward({&bottom_}, {&top_});
  EXPECT_FLOAT_EQ(1.9f, blobs[2]->cpu_data()[0]);
  EXPECT_FLOAT_EQ(7.6f, blobs[0]->cpu_data()[0]);
  EXPECT_NEAR(20.f / 3 * 1.9f, blobs[1]->cpu_data()[0], 1e-4f);
  // A TEST-phase layer with these blobs normalizes with mean 4, variance 20/3.
  LayerParameter test_param = ParseText<LayerParameter>("type: 'BatchNorm' phase: TEST");
  for (const auto& blob : blobs) blob->ToProto(test_param.add_blobs());
  auto test_layer = LayerRegistry::Create(test_param);
  test_layer->SetUp({&bottom_}, {&top_});
  test_layer->Forward({&bottom_}, {&top_});
  EXPECT_NEAR((1.f - 4.f) / std::sqrt(20.f / 3 + eps_), top_.cpu_data()[0], 1e-5f);
  EXPECT_NEAR((0.f - 1.f) / std::sqrt(4.f / 3 + eps_), top_.cpu_data()[2], 1e-5f);
}

TEST_F(BatchNormLayerTest, GlobalStatistics) {
  // TEST defaults to the stored statistics; TRAIN can ask for them too.
  for (const char* text : {"type: 'BatchNorm' phase: TEST",
                           "type: 'BatchNorm' phase: TRAIN batch_norm_param { "
                           "use_global_stats: true }"}) {
    auto layer = MakeLayer(text);
    layer->SetUp({&bottom_}, {&top_});
    SetData(layer->blobs()[0].get(), {2, 4});
    SetData(layer->blobs()[1].get(), {8, 2});
    SetData(layer->blobs()[2].get(), {2});
    layer->Forward({&bottom_}, {&top_});
    // mean (1, 2), variance (4, 1); the blobs are not updated.
    const float s0 = std::sqrt(4.f + eps_), s1 = std::sqrt(1.f + eps_);
    const float expected[] = {0 / s0, 2 / s0, -2 / s1, -2 / s1,
                              4 / s0, 6 / s0, 0 / s1, 0 / s1};
    for (int i = 0; i < 8; ++i) EXPECT_NEAR(expected[i], top_.cpu_data()[i], 1e-5f) << text;
    EXPECT_EQ(2.f, layer->blobs()[2]->cpu_data()[0]);
    EXPECT_EQ(2.f, layer->blobs()[0]->cpu_data()[0]);
  }
}

TEST_F(BatchNormLayerTest, ZeroScaleFactorMeansZeroStatistics) {
  auto layer = MakeLayer("type: 'BatchNorm' batch_norm_param { use_global_stats: true eps: 0.25 }");
  layer->SetUp({&bottom_}, {&top_});
  layer->Forward({&bottom_}, {&top_});
  for (int i = 0; i < 8; ++i) EXPECT_FLOAT_EQ(bottom_.cpu_data()[i] * 2.f, top_.cpu_data()[i]);
}

TEST_F(BatchNormLayerTest, StatisticsAreNotLearned) {
  auto layer = MakeLayer("type: 'BatchNorm'");
  layer->SetUp({&bottom_}, {&top_});
  ASSERT_EQ(3, layer->layer_param().param_size());
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(0.f, layer->layer_param().param(i).lr_mult());
    EXPECT_FALSE(layer->param_propagate_down(i));
  }
  auto learned = MakeLayer("name: 'bn' type: 'BatchNorm' param { lr_mult: 1 }");
  EXPECT_THROW(learned->SetUp({&bottom_}, {&top_}), Error);
  auto explicit_zero = MakeLayer(
      "type: 'BatchNorm' param { lr_mult: 0 } param { lr_mult: 0 } param { lr_mult: 0 }");
  EXPECT_NO_THROW(explicit_zero->SetUp({&bottom_}, {&top_}));
}

TEST_F(BatchNormLayerTest, ChannelMismatch) {
  auto layer = MakeLayer("name: 'bn' type: 'BatchNorm'");
  layer->SetUp({&bottom_}, {&top_});
  Blob other(2, 3, 1, 2);
  EXPECT_THROW(layer->Forward({&other}, {&top_}), Error);
}

TEST(BatchNormGradientTest, TrainMode) {
  for (const std::vector<int>& shape :
       std::vector<std::vector<int>>{{2, 3, 2, 2}, {4, 2}, {3, 2, 3}}) {
    Blob bottom(shape), top;
    FillGaussian(&bottom);
    auto layer = MakeLayer("type: 'BatchNorm' phase: TRAIN");
    GradientChecker checker(1e-2f, 2e-3f);
    checker.CheckGradientExhaustive(layer.get(), {&bottom}, {&top});
  }
}

TEST(BatchNormGradientTest, GlobalStatsMode) {
  // GradientChecker also perturbs the layer's blobs, which are inputs of the
  // forward pass here but are never given gradients (they are statistics,
  // not parameters); so the bottom gradient is checked with central
  // differences of the objective sum(w * top) directly.
  Blob bottom(2, 3, 2, 2), top;
  FillGaussian(&bottom);
  auto layer = MakeLayer("type: 'BatchNorm' phase: TEST");
  layer->SetUp({&bottom}, {&top});
  SetData(layer->blobs()[0].get(), {0.5f, -1.f, 2.f});
  SetData(layer->blobs()[1].get(), {1.f, 4.f, 0.25f});
  SetData(layer->blobs()[2].get(), {1.f});
  std::vector<float> weights(top.count());
  for (int i = 0; i < top.count(); ++i) weights[i] = std::sin(1.f + i);
  auto objective = [&]() {
    layer->Forward({&bottom}, {&top});
    double sum = 0;
    for (int i = 0; i < top.count(); ++i) sum += weights[i] * top.cpu_data()[i];
    return sum;
  };
  objective();
  for (int i = 0; i < top.count(); ++i) top.mutable_cpu_diff()[i] = weights[i];
  layer->Backward({&top}, {true}, {&bottom});
  const std::vector<float> analytic(bottom.cpu_diff(), bottom.cpu_diff() + bottom.count());
  const float step = 1e-2f;
  for (int i = 0; i < bottom.count(); ++i) {
    const float original = bottom.cpu_data()[i];
    bottom.mutable_cpu_data()[i] = original + step;
    const double plus = objective();
    bottom.mutable_cpu_data()[i] = original - step;
    const double minus = objective();
    bottom.mutable_cpu_data()[i] = original;
    EXPECT_NEAR((plus - minus) / (2 * step), analytic[i], 1e-3f) << i;
  }
  // And by hand: dx = dy / sqrt(variance + eps); channel 1 has variance 4.
  EXPECT_NEAR(weights[4] / std::sqrt(4.f + 1e-5f), analytic[4], 1e-6f);
}

TEST(BatchNormGradientTest, InPlaceMatchesOutOfPlace) {
  for (const char* phase : {"TRAIN", "TEST"}) {
    Blob bottom(2, 3, 2, 2), top;
    FillGaussian(&bottom);
    Blob copy(bottom.shape());
    copy.CopyFrom(bottom);
    auto out = MakeLayer(std::string("type: 'BatchNorm' phase: ") + phase);
    auto in = MakeLayer(std::string("type: 'BatchNorm' phase: ") + phase);
    out->SetUp({&bottom}, {&top});
    in->SetUp({&copy}, {&copy});
    for (auto* l : {out.get(), in.get()}) {
      SetData(l->blobs()[0].get(), {0.5f, -1.f, 2.f});
      SetData(l->blobs()[1].get(), {1.f, 4.f, 0.25f});
      SetData(l->blobs()[2].get(), {1.f});
    }
    out->Forward({&bottom}, {&top});
    in->Forward({&copy}, {&copy});
    for (int i = 0; i < top.count(); ++i) {
      top.mutable_cpu_diff()[i] = std::cos(0.3f * i);
      copy.mutable_cpu_diff()[i] = std::cos(0.3f * i);
    }
    out->Backward({&top}, {true}, {&bottom});
    in->Backward({&copy}, {true}, {&copy});
    for (int i = 0; i < top.count(); ++i) {
      EXPECT_FLOAT_EQ(top.cpu_data()[i], copy.cpu_data()[i]) << phase;
      EXPECT_NEAR(bottom.cpu_diff()[i], copy.cpu_diff()[i], 1e-5f) << phase;
    }
  }
}

}  // namespace
}  // namespace crema
