// Scale and Bias: learned parameter or second bottom, axis and num_axes,
// bias_term, blob layout, gradients, in place.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "crema/layer_registry.hpp"
#include "crema/math/math_functions.hpp"
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

using Shape = std::vector<int>;

void SetData(Blob* blob, const std::vector<float>& values) {
  ASSERT_EQ(blob->count(), static_cast<int>(values.size()));
  for (size_t i = 0; i < values.size(); ++i) blob->mutable_cpu_data()[i] = values[i];
}

// ---- Scale ----

TEST(ScaleLayerTest, LearnedScaleShapesAndDefaults) {
  Blob bottom(Shape{2, 3, 4, 5}), top;
  struct Case {
    std::string param;
    Shape blob_shape;
  };
  const std::vector<Case> cases = {
      {"", {3}},
      {"scale_param { axis: 0 num_axes: 2 }", {2, 3}},
      {"scale_param { axis: -2 num_axes: -1 }", {4, 5}},
      {"scale_param { num_axes: 0 }", {}},
      {"scale_param { axis: 3 }", {5}},
  };
  for (const Case& c : cases) {
    auto layer = MakeLayer("type: 'Scale' " + c.param);
    layer->SetUp({&bottom}, {&top});
    ASSERT_EQ(1u, layer->blobs().size()) << c.param;
    EXPECT_EQ(c.blob_shape, layer->blobs()[0]->shape()) << c.param;
    // Default filler: constant 1 (the identity).
    for (int i = 0; i < layer->blobs()[0]->count(); ++i) {
      EXPECT_EQ(1.f, layer->blobs()[0]->cpu_data()[i]);
    }
    EXPECT_TRUE(layer->param_propagate_down(0));
  }
}

TEST(ScaleLayerTest, ForwardPerChannelWithBias) {
  Blob bottom(Shape{2, 2, 2}), top;
  SetData(&bottom, {1, 2, 3, 4, 5, 6, 7, 8});
  auto layer = MakeLayer(
      "type: 'Scale' scale_param { bias_term: true "
      "filler { type: 'constant' value: 2 } bias_filler { type: 'constant' value: 0.5 } }");
  layer->SetUp({&bottom}, {&top});
  ASSERT_EQ(2u, layer->blobs().size());
  SetData(layer->blobs()[0].get(), {2, -1});   // scale
  SetData(layer->blobs()[1].get(), {0.5f, 10});  // bias
  layer->Forward({&bottom}, {&top});
  const float expected[] = {2.5f, 4.5f, 7, 6, 10.5f, 12.5f, 3, 2};
  for (int i = 0; i < 8; ++i) EXPECT_FLOAT_EQ(expected[i], top.cpu_data()[i]) << i;
}

TEST(ScaleLayerTest, FillersAndBlobLayout) {
  Blob bottom(Shape{2, 3}), scale(Shape{3}), top;
  auto learned = MakeLayer(
      "type: 'Scale' scale_param { bias_term: true filler { type: 'constant' value: 3 } }");
  learned->SetUp({&bottom}, {&top});
  ASSERT_EQ(2u, learned->blobs().size());
  EXPECT_EQ(3.f, learned->blobs()[0]->cpu_data()[0]);  // scale
  EXPECT_EQ(0.f, learned->blobs()[1]->cpu_data()[0]);  // bias, default filler 0
  EXPECT_EQ(Shape{3}, learned->blobs()[1]->shape());
  // With the scale as a bottom, the bias is blobs_[0].
  auto from_bottom = MakeLayer(
      "type: 'Scale' scale_param { bias_term: true bias_filler { type: 'constant' value: 7 } }");
  from_bottom->SetUp({&bottom, &scale}, {&top});
  ASSERT_EQ(1u, from_bottom->blobs().size());
  EXPECT_EQ(Shape{3}, from_bottom->blobs()[0]->shape());
  EXPECT_EQ(7.f, from_bottom->blobs()[0]->cpu_data()[0]);
}

TEST(ScaleLayerTest, LoadedBlobsAreKept) {
  Blob bottom(Shape{2, 3}), top;
  LayerParameter param =
      ParseText<LayerParameter>("type: 'Scale' scale_param { bias_term: true }");
  Blob stored_scale(Shape{3}), stored_bias(Shape{3});
  SetData(&stored_scale, {1, 2, 3});
  SetData(&stored_bias, {4, 5, 6});
  stored_scale.ToProto(param.add_blobs());
  stored_bias.ToProto(param.add_blobs());
  auto layer = LayerRegistry::Create(param);
  layer->SetUp({&bottom}, {&top});
  ASSERT_EQ(2u, layer->blobs().size());
  EXPECT_EQ(3.f, layer->blobs()[0]->cpu_data()[2]);
  EXPECT_EQ(6.f, layer->blobs()[1]->cpu_data()[2]);
}

TEST(ScaleLayerTest, ScaleFromBottom) {
  Blob bottom(Shape{2, 3}), scale(Shape{2}), top;
  SetData(&bottom, {1, 2, 3, 4, 5, 6});
  SetData(&scale, {10, -1});
  auto layer = MakeLayer("type: 'Scale' scale_param { axis: 0 }");
  layer->SetUp({&bottom, &scale}, {&top});
  EXPECT_TRUE(layer->blobs().empty());
  layer->Forward({&bottom, &scale}, {&top});
  const float expected[] = {10, 20, 30, -4, -5, -6};
  for (int i = 0; i < 6; ++i) EXPECT_FLOAT_EQ(expected[i], top.cpu_data()[i]);
  // The scale bottom's diff is overwritten, not accumulated.
  for (int i = 0; i < 6; ++i) top.mutable_cpu_diff()[i] = 1.f;
  SetData(&scale, {10, -1});
  for (int i = 0; i < 2; ++i) scale.mutable_cpu_diff()[i] = 100.f;
  layer->Backward({&top}, {true, true}, {&bottom, &scale});
  EXPECT_FLOAT_EQ(6.f, scale.cpu_diff()[0]);
  EXPECT_FLOAT_EQ(15.f, scale.cpu_diff()[1]);
  EXPECT_FLOAT_EQ(-1.f, bottom.cpu_diff()[5]);
}

TEST(ScaleLayerTest, ParameterDiffsAccumulate) {
  Blob bottom(Shape{1, 2}), top;
  SetData(&bottom, {3, 4});
  auto layer = MakeLayer("type: 'Scale' scale_param { bias_term: true }");
  layer->SetUp({&bottom}, {&top});
  for (auto& blob : layer->blobs()) SetData(blob.get(), {0, 0});
  for (auto& blob : layer->blobs()) {
    for (int i = 0; i < 2; ++i) blob->mutable_cpu_diff()[i] = 1.f;
  }
  layer->Forward({&bottom}, {&top});
  for (int i = 0; i < 2; ++i) top.mutable_cpu_diff()[i] = 2.f;
  layer->Backward({&top}, {false}, {&bottom});
  EXPECT_FLOAT_EQ(1.f + 6.f, layer->blobs()[0]->cpu_diff()[0]);
  EXPECT_FLOAT_EQ(1.f + 8.f, layer->blobs()[0]->cpu_diff()[1]);
  EXPECT_FLOAT_EQ(1.f + 2.f, layer->blobs()[1]->cpu_diff()[0]);
  // With param_propagate_down off, the diffs stay.
  layer->set_param_propagate_down(0, false);
  layer->set_param_propagate_down(1, false);
  layer->Backward({&top}, {false}, {&bottom});
  EXPECT_FLOAT_EQ(7.f, layer->blobs()[0]->cpu_diff()[0]);
  EXPECT_FLOAT_EQ(3.f, layer->blobs()[1]->cpu_diff()[0]);
}

TEST(ScaleLayerTest, GradientLearned) {
  const std::vector<std::string> params = {
      "", "bias_term: true", "axis: 0 num_axes: 2 bias_term: true",
      "axis: -1 bias_term: true", "num_axes: 0", "num_axes: -1 bias_term: true",
      "axis: 2 num_axes: 0 bias_term: true"};
  for (const std::string& p : params) {
    Blob bottom(Shape{2, 3, 2}), top;
    FillGaussian(&bottom);
    auto layer = MakeLayer("type: 'Scale' scale_param { " + p +
                           " filler { type: 'gaussian' } bias_filler { type: 'gaussian' } }");
    GradientChecker checker(1e-2f, 1e-3f);
    checker.CheckGradientExhaustive(layer.get(), {&bottom}, {&top});
  }
}

TEST(ScaleLayerTest, GradientFromBottom) {
  const std::vector<std::pair<std::string, Shape>> cases = {
      {"", {3}}, {"axis: 0", {2, 3}}, {"axis: 0", {}}, {"axis: -1", {2}},
      {"bias_term: true", {3, 2}}, {"bias_term: true axis: 2", {2}},
      {"axis: 0 bias_term: true", {2, 3, 2}}};
  for (const auto& [p, scale_shape] : cases) {
    Blob bottom(Shape{2, 3, 2}), scale(scale_shape), top;
    FillGaussian(&bottom);
    FillGaussian(&scale);
    auto layer = MakeLayer("type: 'Scale' scale_param { " + p +
                           " bias_filler { type: 'gaussian' } }");
    GradientChecker checker(1e-2f, 1e-3f);
    checker.CheckGradientExhaustive(layer.get(), {&bottom, &scale}, {&top});
  }
}

TEST(ScaleLayerTest, InPlaceMatchesOutOfPlace) {
  Blob bottom(Shape{2, 3, 2}), top;
  FillGaussian(&bottom);
  Blob copy(bottom.shape());
  copy.CopyFrom(bottom);
  const std::string text = "type: 'Scale' scale_param { bias_term: true filler { type: "
                           "'gaussian' } bias_filler { type: 'gaussian' } }";
  auto out = MakeLayer(text);
  auto in = MakeLayer(text);
  out->SetUp({&bottom}, {&top});
  in->SetUp({&copy}, {&copy});
  for (int b = 0; b < 2; ++b) {
    in->blobs()[b]->CopyFrom(*out->blobs()[b]);
    cpu_zero(3, out->blobs()[b]->mutable_cpu_diff());
    cpu_zero(3, in->blobs()[b]->mutable_cpu_diff());
  }
  out->Forward({&bottom}, {&top});
  in->Forward({&copy}, {&copy});
  for (int i = 0; i < top.count(); ++i) {
    top.mutable_cpu_diff()[i] = 0.5f - 0.1f * i;
    copy.mutable_cpu_diff()[i] = 0.5f - 0.1f * i;
  }
  out->Backward({&top}, {true}, {&bottom});
  in->Backward({&copy}, {true}, {&copy});
  for (int i = 0; i < top.count(); ++i) {
    EXPECT_FLOAT_EQ(top.cpu_data()[i], copy.cpu_data()[i]);
    EXPECT_FLOAT_EQ(bottom.cpu_diff()[i], copy.cpu_diff()[i]);
  }
  for (int b = 0; b < 2; ++b) {
    for (int i = 0; i < 3; ++i) {
      EXPECT_FLOAT_EQ(out->blobs()[b]->cpu_diff()[i], in->blobs()[b]->cpu_diff()[i]);
    }
  }
}

TEST(ScaleLayerTest, Errors) {
  Blob bottom(Shape{2, 3}), wrong(Shape{4}), top;
  auto mismatch = MakeLayer("name: 'sc' type: 'Scale'");
  try {
    mismatch->SetUp({&bottom, &wrong}, {&top});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'sc'"), std::string::npos) << e.what();
  }
  auto past = MakeLayer("name: 'sc' type: 'Scale' scale_param { axis: 1 num_axes: 2 }");
  EXPECT_THROW(past->SetUp({&bottom}, {&top}), Error);
  auto axis = MakeLayer("name: 'sc' type: 'Scale' scale_param { axis: 2 }");
  EXPECT_THROW(axis->SetUp({&bottom}, {&top}), Error);
}

// ---- Bias ----

TEST(BiasLayerTest, ForwardLearnedAndFromBottom) {
  Blob bottom(Shape{2, 3}), bias(Shape{3}), top;
  SetData(&bottom, {1, 2, 3, 4, 5, 6});
  SetData(&bias, {10, 20, 30});
  auto from_bottom = MakeLayer("type: 'Bias'");
  from_bottom->SetUp({&bottom, &bias}, {&top});
  EXPECT_TRUE(from_bottom->blobs().empty());
  from_bottom->Forward({&bottom, &bias}, {&top});
  const float expected[] = {11, 22, 33, 14, 25, 36};
  for (int i = 0; i < 6; ++i) EXPECT_FLOAT_EQ(expected[i], top.cpu_data()[i]);

  auto learned = MakeLayer("type: 'Bias' bias_param { axis: 0 }");
  learned->SetUp({&bottom}, {&top});
  ASSERT_EQ(1u, learned->blobs().size());
  EXPECT_EQ(Shape{2}, learned->blobs()[0]->shape());
  EXPECT_EQ(0.f, learned->blobs()[0]->cpu_data()[0]);  // default filler: 0
  SetData(learned->blobs()[0].get(), {-1, 1});
  learned->Forward({&bottom}, {&top});
  const float expected_rows[] = {0, 1, 2, 5, 6, 7};
  for (int i = 0; i < 6; ++i) EXPECT_FLOAT_EQ(expected_rows[i], top.cpu_data()[i]);
}

TEST(BiasLayerTest, BlobShapes) {
  Blob bottom(Shape{2, 3, 4}), top;
  const std::vector<std::pair<std::string, Shape>> cases = {
      {"", {3}}, {"num_axes: -1", {3, 4}}, {"axis: 0 num_axes: 0", {}},
      {"axis: -1", {4}}, {"axis: 0 num_axes: 3", {2, 3, 4}}};
  for (const auto& [p, shape] : cases) {
    auto layer = MakeLayer("type: 'Bias' bias_param { " + p + " }");
    layer->SetUp({&bottom}, {&top});
    EXPECT_EQ(shape, layer->blobs()[0]->shape()) << p;
  }
}

TEST(BiasLayerTest, Gradient) {
  const std::vector<std::string> learned = {"", "axis: 0 num_axes: 2", "num_axes: -1",
                                            "num_axes: 0", "axis: -1"};
  for (const std::string& p : learned) {
    Blob bottom(Shape{2, 3, 2}), top;
    FillGaussian(&bottom);
    auto layer = MakeLayer("type: 'Bias' bias_param { " + p +
                           " filler { type: 'gaussian' } }");
    GradientChecker checker(1e-2f, 1e-3f);
    checker.CheckGradientExhaustive(layer.get(), {&bottom}, {&top});
  }
  const std::vector<std::pair<std::string, Shape>> from_bottom = {
      {"", {3}}, {"axis: 0", {2, 3}}, {"", {}}, {"axis: -1", {2}}, {"axis: 0", {2, 3, 2}}};
  for (const auto& [p, shape] : from_bottom) {
    Blob bottom(Shape{2, 3, 2}), bias(shape), top;
    FillGaussian(&bottom);
    FillGaussian(&bias);
    auto layer = MakeLayer("type: 'Bias' bias_param { " + p + " }");
    GradientChecker checker(1e-2f, 1e-3f);
    checker.CheckGradientExhaustive(layer.get(), {&bottom, &bias}, {&top});
  }
}

TEST(BiasLayerTest, InPlace) {
  Blob bottom(Shape{2, 3}), top;
  SetData(&bottom, {1, 2, 3, 4, 5, 6});
  auto layer = MakeLayer("type: 'Bias' bias_param { filler { type: 'constant' value: 1 } }");
  layer->SetUp({&bottom}, {&bottom});
  layer->Forward({&bottom}, {&bottom});
  EXPECT_FLOAT_EQ(2.f, bottom.cpu_data()[0]);
  EXPECT_FLOAT_EQ(7.f, bottom.cpu_data()[5]);
  for (int i = 0; i < 6; ++i) bottom.mutable_cpu_diff()[i] = 1.f + i;
  cpu_zero(3, layer->blobs()[0]->mutable_cpu_diff());
  layer->Backward({&bottom}, {true}, {&bottom});
  EXPECT_FLOAT_EQ(1.f + 4.f, layer->blobs()[0]->cpu_diff()[0]);
  EXPECT_FLOAT_EQ(6.f, bottom.cpu_diff()[5]);
}

TEST(BiasLayerTest, Errors) {
  Blob bottom(Shape{2, 3}), wrong(Shape{2, 2}), top;
  auto layer = MakeLayer("name: 'b' type: 'Bias'");
  try {
    layer->SetUp({&bottom, &wrong}, {&top});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'b'"), std::string::npos) << e.what();
  }
  auto past = MakeLayer("name: 'b' type: 'Bias' bias_param { num_axes: 2 }");
  EXPECT_THROW(past->SetUp({&bottom}, {&top}), Error);
}

}  // namespace
}  // namespace crema
