// EuclideanLoss, SigmoidCrossEntropyLoss, HingeLoss, MultinomialLogisticLoss,
// InfogainLoss and ContrastiveLoss: losses computed by hand, numerical
// gradients, normalization and ignore_label, errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "crema/io/proto_io.hpp"
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

std::string ErrorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

float ForwardLoss(Layer* layer, const std::vector<Blob*>& bottom, Blob* top) {
  layer->SetUp(bottom, {top});
  return layer->Forward(bottom, {top});
}

void FillLabels(Blob* labels, int classes) {
  for (int i = 0; i < labels->count(); ++i) {
    labels->mutable_cpu_data()[i] = static_cast<float>((i * 7 + 3) % classes);
  }
}

// ---- EuclideanLoss ----

// LossLayer's normalizer, shared by SoftmaxWithLoss, SigmoidCrossEntropyLoss
// and InfogainLoss.
struct NormalizerProbe : LossLayer {
  using LossLayer::GetNormalizer;
};

TEST(LossLayerTest, NormalizerFollowsCaffe) {
  // 2 items x 3 positions, 4 of them not ignored.
  EXPECT_FLOAT_EQ(6.f, NormalizerProbe::GetNormalizer(LossParameter::FULL, 2, 3, 4));
  EXPECT_FLOAT_EQ(4.f, NormalizerProbe::GetNormalizer(LossParameter::VALID, 2, 3, 4));
  EXPECT_FLOAT_EQ(2.f, NormalizerProbe::GetNormalizer(LossParameter::BATCH_SIZE, 2, 3, 4));
  EXPECT_FLOAT_EQ(1.f, NormalizerProbe::GetNormalizer(LossParameter::NONE, 2, 3, 4));
  // A valid count of -1 means every position.
  EXPECT_FLOAT_EQ(6.f, NormalizerProbe::GetNormalizer(LossParameter::VALID, 2, 3, -1));
  // Every label ignored: divide by 1, not 0.
  EXPECT_FLOAT_EQ(1.f, NormalizerProbe::GetNormalizer(LossParameter::VALID, 2, 3, 0));
  EXPECT_FLOAT_EQ(1.f, NormalizerProbe::GetNormalizer(LossParameter::BATCH_SIZE, 0, 3, 0));
}

TEST(EuclideanLossLayerTest, Forward) {
  Blob a(std::vector<int>{2, 2}), b(std::vector<int>{2, 2}), top;
  SetData(&a, {1, 2, 3, 4});
  SetData(&b, {0, 4, 3, 1});
  auto layer = MakeLayer("type: 'EuclideanLoss'");
  // (1 + 4 + 0 + 9) / 2 / 2
  EXPECT_FLOAT_EQ(3.5f, ForwardLoss(layer.get(), {&a, &b}, &top));
  EXPECT_FLOAT_EQ(3.5f, top.cpu_data()[0]);
  EXPECT_TRUE(layer->AllowForceBackward(1));
}

TEST(EuclideanLossLayerTest, GradientBothInputs) {
  for (const auto& shape : {std::vector<int>{3, 4, 1, 1}, std::vector<int>{2, 3, 2}}) {
    for (const char* weight : {"", "loss_weight: 3"}) {
      Blob a(shape), b(shape), top;
      FillGaussian(&a);
      FillGaussian(&b);
      auto layer = MakeLayer(std::string("type: 'EuclideanLoss' ") + weight);
      layer->SetUp({&a, &b}, {&top});
      GradientChecker checker(1e-2f, 1e-2f);
      checker.CheckGradientSingle(layer.get(), {&a, &b}, {&top}, -1, -1, -1);
    }
  }
}

TEST(EuclideanLossLayerTest, MismatchNamesShapes) {
  Blob a(2, 3, 1, 1), b(2, 4, 1, 1), top;
  const std::string message = ErrorOf([&] {
    MakeLayer("name: 'l2' type: 'EuclideanLoss'")->SetUp({&a, &b}, {&top});
  });
  EXPECT_NE(std::string::npos, message.find("'l2' (EuclideanLoss)")) << message;
  EXPECT_NE(std::string::npos, message.find("2 x 4 x 1 x 1")) << message;
}

// ---- SigmoidCrossEntropyLoss ----

float SigmoidCE(float x, float t) {
  const float s = 1.f / (1.f + std::exp(-x));
  return -(t * std::log(s) + (1.f - t) * std::log(1.f - s));
}

TEST(SigmoidCrossEntropyLossLayerTest, ForwardDefaultsToBatchSize) {
  Blob x(std::vector<int>{2, 3}), t(std::vector<int>{2, 3}), top;
  SetData(&x, {0.5f, -1.f, 2.f, 0.f, 3.f, -0.25f});
  SetData(&t, {1, 0, 1, 0, 0.5f, 1});
  float sum = 0.f;
  for (int i = 0; i < 6; ++i) sum += SigmoidCE(x.cpu_data()[i], t.cpu_data()[i]);
  auto layer = MakeLayer("type: 'SigmoidCrossEntropyLoss'");
  EXPECT_NEAR(sum / 2.f, ForwardLoss(layer.get(), {&x, &t}, &top), 1e-5f);
  auto full = MakeLayer("type: 'SigmoidCrossEntropyLoss' loss_param { normalization: FULL }");
  EXPECT_NEAR(sum / 6.f, ForwardLoss(full.get(), {&x, &t}, &top), 1e-5f);
  auto none = MakeLayer("type: 'SigmoidCrossEntropyLoss' loss_param { normalization: NONE }");
  EXPECT_NEAR(sum, ForwardLoss(none.get(), {&x, &t}, &top), 1e-5f);
  // Legacy normalize: true means VALID (here all 6 are valid).
  auto legacy = MakeLayer("type: 'SigmoidCrossEntropyLoss' loss_param { normalize: true }");
  EXPECT_NEAR(sum / 6.f, ForwardLoss(legacy.get(), {&x, &t}, &top), 1e-5f);
}

TEST(SigmoidCrossEntropyLossLayerTest, StableForLargeScores) {
  Blob x(std::vector<int>{1, 2}), t(std::vector<int>{1, 2}), top;
  SetData(&x, {100.f, -100.f});
  SetData(&t, {0.f, 0.f});
  auto layer = MakeLayer("type: 'SigmoidCrossEntropyLoss'");
  EXPECT_NEAR(100.f, ForwardLoss(layer.get(), {&x, &t}, &top), 1e-3f);
}

TEST(SigmoidCrossEntropyLossLayerTest, IgnoreLabel) {
  Blob x(std::vector<int>{2, 2}), t(std::vector<int>{2, 2}), top;
  SetData(&x, {0.5f, -1.f, 2.f, 0.3f});
  SetData(&t, {1, -1, 0, -1});
  auto layer = MakeLayer(
      "type: 'SigmoidCrossEntropyLoss' loss_param { ignore_label: -1 normalization: VALID }");
  const float expected = (SigmoidCE(0.5f, 1.f) + SigmoidCE(2.f, 0.f)) / 2.f;
  EXPECT_NEAR(expected, ForwardLoss(layer.get(), {&x, &t}, &top), 1e-5f);
  top.mutable_cpu_diff()[0] = 1.f;
  layer->Backward({&top}, {true, false}, {&x, &t});
  EXPECT_EQ(0.f, x.cpu_diff()[1]);
  EXPECT_EQ(0.f, x.cpu_diff()[3]);
  EXPECT_NEAR((1.f / (1.f + std::exp(-0.5f)) - 1.f) / 2.f, x.cpu_diff()[0], 1e-6f);
  // Everything ignored: loss 0, no division by zero.
  SetData(&t, {-1, -1, -1, -1});
  EXPECT_EQ(0.f, layer->Forward({&x, &t}, {&top}));
}

TEST(SigmoidCrossEntropyLossLayerTest, Gradient) {
  for (const char* param : {"", "loss_param { normalization: FULL }",
                            "loss_param { normalization: VALID ignore_label: -1 }",
                            "loss_weight: 2 loss_param { normalization: NONE }"}) {
    for (const auto& shape : {std::vector<int>{3, 4}, std::vector<int>{2, 3, 2, 1}}) {
      Blob x(shape), t(shape), top;
      FillGaussian(&x, 2.f);
      FillUniform(&t, 0.f, 1.f);
      t.mutable_cpu_data()[1] = -1.f;  // ignored when ignore_label is -1
      if (std::string(param).find("ignore") == std::string::npos) t.mutable_cpu_data()[1] = 1.f;
      auto layer = MakeLayer(std::string("type: 'SigmoidCrossEntropyLoss' ") + param);
      layer->SetUp({&x, &t}, {&top});
      GradientChecker checker(1e-2f, 1e-2f);
      checker.CheckGradientSingle(layer.get(), {&x, &t}, {&top}, 0, -1, -1);
    }
  }
}

TEST(SigmoidCrossEntropyLossLayerTest, CountMismatch) {
  Blob x(2, 3, 1, 1), t(2, 2, 1, 1), top;
  EXPECT_NE("", ErrorOf([&] {
              MakeLayer("type: 'SigmoidCrossEntropyLoss'")->SetUp({&x, &t}, {&top});
            }));
}

// ---- HingeLoss ----

TEST(HingeLossLayerTest, ForwardL1AndL2) {
  Blob x(std::vector<int>{2, 3}), label(std::vector<int>{2}), top;
  SetData(&x, {0.5f, -2.f, 0.3f, /**/ 2.f, 1.f, -0.5f});
  SetData(&label, {0, 1});
  // Item 0 (label 0): max(0, 1 - 0.5) + max(0, 1 - 2) + max(0, 1 + 0.3) = 0.5 + 0 + 1.3
  // Item 1 (label 1): max(0, 1 + 2) + max(0, 1 - 1) + max(0, 1 - 0.5) = 3 + 0 + 0.5
  auto l1 = MakeLayer("type: 'HingeLoss'");
  EXPECT_NEAR((1.8f + 3.5f) / 2.f, ForwardLoss(l1.get(), {&x, &label}, &top), 1e-5f);
  auto l2 = MakeLayer("type: 'HingeLoss' hinge_loss_param { norm: L2 }");
  EXPECT_NEAR((0.25f + 1.69f + 9.f + 0.25f) / 2.f, ForwardLoss(l2.get(), {&x, &label}, &top),
              1e-5f);
}

TEST(HingeLossLayerTest, Gradient) {
  for (const char* norm : {"L1", "L2"}) {
    for (const auto& shape : {std::vector<int>{4, 5}, std::vector<int>{3, 2, 2, 1}}) {
      Blob x(shape), label(std::vector<int>{shape[0]}), top;
      FillGaussian(&x, 2.f);
      FillLabels(&label, x.count(1));
      auto layer =
          MakeLayer(std::string("type: 'HingeLoss' hinge_loss_param { norm: ") + norm + " }");
      layer->SetUp({&x, &label}, {&top});
      GradientChecker checker(1e-3f, 2e-3f, 1701, 1.f, 0.01f);
      // Kinks at x = +-1: the checker skips points near +1; keep inputs off -1 too.
      for (int i = 0; i < x.count(); ++i) {
        float& v = x.mutable_cpu_data()[i];
        if (std::fabs(v + 1.f) < 0.02f) v = -1.2f;
      }
      checker.CheckGradientSingle(layer.get(), {&x, &label}, {&top}, 0, -1, -1);
    }
  }
}

TEST(HingeLossLayerTest, BadLabel) {
  Blob x(2, 3, 1, 1), label(std::vector<int>{2}), top;
  SetData(&label, {0, 3});
  auto layer = MakeLayer("name: 'hinge' type: 'HingeLoss'");
  layer->SetUp({&x, &label}, {&top});
  const std::string message = ErrorOf([&] { layer->Forward({&x, &label}, {&top}); });
  EXPECT_NE(std::string::npos, message.find("'hinge' (HingeLoss)")) << message;
}

// ---- MultinomialLogisticLoss ----

TEST(MultinomialLogisticLossLayerTest, Forward) {
  Blob p(std::vector<int>{2, 3}), label(std::vector<int>{2}), top;
  SetData(&p, {0.2f, 0.5f, 0.3f, /**/ 0.f, 0.1f, 0.9f});
  SetData(&label, {1, 0});
  auto layer = MakeLayer("type: 'MultinomialLogisticLoss'");
  // A zero probability is clamped to 1e-20.
  EXPECT_NEAR((-std::log(0.5f) - std::log(1e-20f)) / 2.f,
              ForwardLoss(layer.get(), {&p, &label}, &top), 1e-4f);
}

TEST(MultinomialLogisticLossLayerTest, Gradient) {
  for (const auto& shape : {std::vector<int>{4, 5}, std::vector<int>{3, 2, 2, 1}}) {
    Blob p(shape), label(std::vector<int>{shape[0]}), top;
    FillUniform(&p, 0.3f, 1.f);
    FillLabels(&label, p.count(1));
    auto layer = MakeLayer("type: 'MultinomialLogisticLoss'");
    layer->SetUp({&p, &label}, {&top});
    GradientChecker checker(1e-3f, 2e-2f);
    checker.CheckGradientSingle(layer.get(), {&p, &label}, {&top}, 0, -1, -1);
  }
}

// ---- InfogainLoss ----

// Softmax of the C values of `x` at (outer i, inner j) along the class axis.
std::vector<float> SoftmaxAt(const Blob& x, int axis, int i, int j) {
  const int classes = x.shape(axis);
  const int inner = x.count(axis + 1);
  std::vector<float> p(classes);
  float max_v = -1e30f;
  for (int c = 0; c < classes; ++c) {
    max_v = std::max(max_v, x.cpu_data()[(i * classes + c) * inner + j]);
  }
  float sum = 0.f;
  for (int c = 0; c < classes; ++c) {
    p[c] = std::exp(x.cpu_data()[(i * classes + c) * inner + j] - max_v);
    sum += p[c];
  }
  for (float& v : p) v /= sum;
  return p;
}

TEST(InfogainLossLayerTest, ForwardWithMatrixBottom) {
  Blob x(std::vector<int>{2, 3}), label(std::vector<int>{2}), h(std::vector<int>{3, 3}), top;
  SetData(&x, {1.f, 2.f, 0.5f, /**/ -1.f, 0.f, 3.f});
  SetData(&label, {2, 0});
  SetData(&h, {1, 0.5f, 0, /**/ 0, 1, 0, /**/ 0.2f, 0, 2});
  auto layer = MakeLayer("type: 'InfogainLoss'");
  float expected = 0.f;
  for (int i = 0; i < 2; ++i) {
    const std::vector<float> p = SoftmaxAt(x, 1, i, 0);
    const int l = static_cast<int>(label.cpu_data()[i]);
    for (int k = 0; k < 3; ++k) expected -= h.cpu_data()[l * 3 + k] * std::log(p[k]);
  }
  EXPECT_NEAR(expected / 2.f, ForwardLoss(layer.get(), {&x, &label, &h}, &top), 1e-5f);
  // With H = identity it is the softmax loss.
  SetData(&h, {1, 0, 0, 0, 1, 0, 0, 0, 1});
  auto softmax_loss = MakeLayer("type: 'SoftmaxWithLoss'");
  Blob top2;
  EXPECT_NEAR(ForwardLoss(softmax_loss.get(), {&x, &label}, &top2),
              ForwardLoss(layer.get(), {&x, &label, &h}, &top), 1e-5f);
}

TEST(InfogainLossLayerTest, MatrixFromSourceFile) {
  BlobProto proto;
  proto.mutable_shape()->add_dim(1);
  proto.mutable_shape()->add_dim(1);
  proto.mutable_shape()->add_dim(2);
  proto.mutable_shape()->add_dim(2);
  for (float v : {2.f, 0.f, 0.5f, 1.f}) proto.add_data(v);
  const std::string path = ::testing::TempDir() + "/crema_infogain_h.binaryproto";
  WriteProtoToBinaryFile(proto, path);
  Blob x(std::vector<int>{1, 2}), label(std::vector<int>{1}), top;
  SetData(&x, {0.3f, -0.4f});
  SetData(&label, {1});
  auto layer = MakeLayer("type: 'InfogainLoss' infogain_loss_param { source: '" + path + "' }");
  const std::vector<float> p = SoftmaxAt(x, 1, 0, 0);
  EXPECT_NEAR(-(0.5f * std::log(p[0]) + 1.f * std::log(p[1])),
              ForwardLoss(layer.get(), {&x, &label}, &top), 1e-5f);
  std::remove(path.c_str());

  auto missing = MakeLayer("name: 'ig' type: 'InfogainLoss'");
  const std::string message = ErrorOf([&] { missing->SetUp({&x, &label}, {&top}); });
  EXPECT_NE(std::string::npos, message.find("'ig' (InfogainLoss)")) << message;
  EXPECT_NE("", ErrorOf([&] {
              MakeLayer("type: 'InfogainLoss' infogain_loss_param { source: '/nonexistent/h' }")
                  ->SetUp({&x, &label}, {&top});
            }));
}

TEST(InfogainLossLayerTest, AxisIgnoreLabelAndProbabilityTop) {
  // Classes on axis 2 of N x A x C.
  Blob x(std::vector<int>{2, 2, 3}), label(std::vector<int>{2, 2}), h(std::vector<int>{3, 3});
  FillGaussian(&x);
  SetData(&label, {0, 2, -1, 1});
  SetData(&h, {1, 0.2f, 0.1f, 0.3f, 1, 0, 0, 0.4f, 2});
  Blob top, prob;
  auto layer = MakeLayer(
      "type: 'InfogainLoss' loss_weight: 1 loss_weight: 0 infogain_loss_param { axis: 2 } "
      "loss_param { ignore_label: -1 }");
  layer->SetUp({&x, &label, &h}, {&top, &prob});
  layer->Forward({&x, &label, &h}, {&top, &prob});
  float expected = 0.f;
  for (int pos = 0; pos < 4; ++pos) {
    const int l = static_cast<int>(label.cpu_data()[pos]);
    if (l < 0) continue;
    const std::vector<float> p = SoftmaxAt(x, 2, pos, 0);
    for (int k = 0; k < 3; ++k) expected -= h.cpu_data()[l * 3 + k] * std::log(p[k]);
  }
  EXPECT_NEAR(expected / 3.f, top.cpu_data()[0], 1e-5f);  // VALID: 3 positions
  EXPECT_EQ(x.shape(), prob.shape());
  EXPECT_NEAR(SoftmaxAt(x, 2, 1, 0)[2], prob.cpu_data()[5], 1e-6f);
}

TEST(InfogainLossLayerTest, Gradient) {
  for (const char* param : {"", "loss_param { normalization: FULL }",
                            "infogain_loss_param { axis: 2 } loss_param { ignore_label: 0 }",
                            "loss_param { normalization: BATCH_SIZE }"}) {
    const bool axis2 = std::string(param).find("axis: 2") != std::string::npos;
    Blob x(std::vector<int>{3, 4, 2}), top;
    Blob label(axis2 ? std::vector<int>{3, 4} : std::vector<int>{3, 2});
    const int classes = axis2 ? 2 : 4;
    Blob h(std::vector<int>{classes, classes});
    FillGaussian(&x);
    FillLabels(&label, classes);
    FillUniform(&h, 0.f, 1.f);
    auto layer = MakeLayer(std::string("type: 'InfogainLoss' ") + param);
    layer->SetUp({&x, &label, &h}, {&top});
    GradientChecker checker(1e-3f, 2e-2f);
    checker.CheckGradientSingle(layer.get(), {&x, &label, &h}, {&top}, 0, -1, -1);
  }
}

TEST(InfogainLossLayerTest, Errors) {
  Blob x(std::vector<int>{2, 3}), label(std::vector<int>{2}), h(std::vector<int>{2, 2}), top;
  SetData(&label, {0, 1});
  const std::string message = ErrorOf([&] {
    MakeLayer("name: 'ig' type: 'InfogainLoss'")->SetUp({&x, &label, &h}, {&top});
  });
  EXPECT_NE(std::string::npos, message.find("2 x 2")) << message;
  Blob h3(std::vector<int>{3, 3});
  SetData(&label, {0, 5});
  auto layer = MakeLayer("type: 'InfogainLoss'");
  layer->SetUp({&x, &label, &h3}, {&top});
  EXPECT_NE("", ErrorOf([&] { layer->Forward({&x, &label, &h3}, {&top}); }));
  EXPECT_NE("", ErrorOf([&] {
              MakeLayer("type: 'InfogainLoss' loss_param { normalize: true }")
                  ->SetUp({&x, &label, &h3}, {&top});
            }));
}

// ---- ContrastiveLoss ----

TEST(ContrastiveLossLayerTest, ForwardHandComputed) {
  Blob a(2, 2, 1, 1), b(2, 2, 1, 1), y(2, 1, 1, 1), top;
  SetData(&a, {1, 0, 0, 0});
  SetData(&b, {0, 0, 0.3f, 0.4f});
  SetData(&y, {1, 0});
  // Similar pair: d^2 = 1. Dissimilar pair: d = 0.5, margin 2 -> (2 - 0.5)^2.
  auto layer = MakeLayer("type: 'ContrastiveLoss' contrastive_loss_param { margin: 2 }");
  EXPECT_NEAR((1.f + 2.25f) / 4.f, ForwardLoss(layer.get(), {&a, &b, &y}, &top), 1e-5f);
  // Legacy: max(margin - d^2, 0) = 2 - 0.25.
  auto legacy = MakeLayer(
      "type: 'ContrastiveLoss' contrastive_loss_param { margin: 2 legacy_version: true }");
  EXPECT_NEAR((1.f + 1.75f) / 4.f, ForwardLoss(legacy.get(), {&a, &b, &y}, &top), 1e-5f);
  // A dissimilar pair beyond the margin costs nothing.
  auto small_margin = MakeLayer("type: 'ContrastiveLoss' contrastive_loss_param { margin: 0.4 }");
  EXPECT_NEAR(1.f / 4.f, ForwardLoss(small_margin.get(), {&a, &b, &y}, &top), 1e-5f);
}

TEST(ContrastiveLossLayerTest, Gradient) {
  for (const char* param : {"", "contrastive_loss_param { legacy_version: true }",
                            "contrastive_loss_param { margin: 3 }"}) {
    Blob a(5, 2, 1, 1), b(5, 2, 1, 1), y(5, 1, 1, 1), top;
    FillUniform(&a, -1.f, 1.f);
    FillUniform(&b, -1.f, 1.f);
    SetData(&y, {1, 0, 0, 1, 0});
    auto layer = MakeLayer(std::string("type: 'ContrastiveLoss' ") + param);
    layer->SetUp({&a, &b, &y}, {&top});
    GradientChecker checker(1e-2f, 1e-2f);
    checker.CheckGradientSingle(layer.get(), {&a, &b, &y}, {&top}, 0, -1, -1);
    checker.CheckGradientSingle(layer.get(), {&a, &b, &y}, {&top}, 1, -1, -1);
  }
}

TEST(ContrastiveLossLayerTest, ShapeErrors) {
  Blob a(2, 3, 1, 1), b(2, 4, 1, 1), y(2, 1, 1, 1), top;
  const std::string message = ErrorOf([&] {
    MakeLayer("name: 'c' type: 'ContrastiveLoss'")->SetUp({&a, &b, &y}, {&top});
  });
  EXPECT_NE(std::string::npos, message.find("'c' (ContrastiveLoss)")) << message;
  EXPECT_NE(std::string::npos, message.find("2 x 4 x 1 x 1")) << message;
  auto layer = MakeLayer("type: 'ContrastiveLoss'");
  EXPECT_FALSE(layer->AllowForceBackward(2));
  EXPECT_TRUE(layer->AllowForceBackward(1));
}

}  // namespace
}  // namespace crema
