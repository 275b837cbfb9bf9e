// Softmax and SoftmaxWithLoss: values, normalization modes, ignore_label,
// gradients, errors.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <string>
#include <utility>
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

void FillLabels(Blob* labels, int num_classes) {
  for (int i = 0; i < labels->count(); ++i) {
    labels->mutable_cpu_data()[i] = static_cast<float>((i * 7 + 3) % num_classes);
  }
}

TEST(SoftmaxLayerTest, ForwardValues) {
  Blob bottom(std::vector<int>{2, 3});
  Blob top;
  SetData(&bottom, {1, 2, 3, 0, 0, 0});
  auto layer = MakeLayer("type: 'Softmax'");
  layer->SetUp({&bottom}, {&top});
  layer->Forward({&bottom}, {&top});
  const float expected[] = {0.09003057f, 0.24472847f, 0.66524096f,
                            1 / 3.f, 1 / 3.f, 1 / 3.f};
  for (int i = 0; i < 6; ++i) EXPECT_NEAR(expected[i], top.cpu_data()[i], 1e-6f);
}

TEST(SoftmaxLayerTest, ForwardAlongEachAxis) {
  // Every slice along the softmax axis sums to 1 and follows exp ratios.
  Blob bottom(std::vector<int>{2, 3, 4});
  FillGaussian(&bottom);
  for (int axis : {0, 1, 2, -1, -3}) {
    Blob top;
    auto layer = MakeLayer("type: 'Softmax' softmax_param { axis: " +
                           std::to_string(axis) + " }");
    layer->SetUp({&bottom}, {&top});
    layer->Forward({&bottom}, {&top});
    const int a = axis < 0 ? axis + 3 : axis;
    const int outer = bottom.count(0, a), channels = bottom.shape(a),
              inner = bottom.count(a + 1);
    for (int i = 0; i < outer; ++i) {
      for (int j = 0; j < inner; ++j) {
        float sum = 0.f;
        const int base = i * channels * inner + j;
        for (int c = 0; c < channels; ++c) sum += top.cpu_data()[base + c * inner];
        EXPECT_NEAR(1.f, sum, 1e-5f) << "axis " << axis;
        for (int c = 1; c < channels; ++c) {
          const float ratio = top.cpu_data()[base + c * inner] / top.cpu_data()[base];
          const float dx = bottom.cpu_data()[base + c * inner] - bottom.cpu_data()[base];
          EXPECT_NEAR(std::exp(dx), ratio, 1e-4f * std::exp(dx)) << "axis " << axis;
        }
      }
    }
  }
}

TEST(SoftmaxLayerTest, LargeInputsDoNotOverflow) {
  Blob bottom(std::vector<int>{1, 2});
  Blob top;
  SetData(&bottom, {1000.f, 1000.f});
  auto layer = MakeLayer("type: 'Softmax'");
  layer->SetUp({&bottom}, {&top});
  layer->Forward({&bottom}, {&top});
  EXPECT_FLOAT_EQ(0.5f, top.cpu_data()[0]);
  EXPECT_FLOAT_EQ(0.5f, top.cpu_data()[1]);
}

TEST(SoftmaxLayerTest, Gradient) {
  const std::vector<std::pair<std::vector<int>, int>> cases = {
      {{2, 3, 2, 2}, 1}, {{2, 3, 4}, -1}, {{3, 4}, 0}, {{2, 2, 3}, 2}};
  for (const auto& [shape, axis] : cases) {
    Blob bottom(shape);
    Blob top;
    FillGaussian(&bottom);
    auto layer = MakeLayer("type: 'Softmax' softmax_param { axis: " +
                           std::to_string(axis) + " }");
    GradientChecker checker(1e-2f, 1e-3f);
    checker.CheckGradientExhaustive(layer.get(), {&bottom}, {&top});
  }
}

TEST(SoftmaxLayerTest, InPlaceMatchesOutOfPlace) {
  Blob bottom(std::vector<int>{2, 4, 3});
  Blob top;
  FillGaussian(&bottom);
  Blob copy(bottom.shape());
  copy.CopyFrom(bottom);
  auto out = MakeLayer("type: 'Softmax'");
  auto in = MakeLayer("type: 'Softmax'");
  out->SetUp({&bottom}, {&top});
  in->SetUp({&copy}, {&copy});
  out->Forward({&bottom}, {&top});
  in->Forward({&copy}, {&copy});
  for (int i = 0; i < top.count(); ++i) {
    top.mutable_cpu_diff()[i] = std::sin(1.f + i);
    copy.mutable_cpu_diff()[i] = std::sin(1.f + i);
  }
  out->Backward({&top}, {true}, {&bottom});
  in->Backward({&copy}, {true}, {&copy});
  for (int i = 0; i < top.count(); ++i) {
    EXPECT_FLOAT_EQ(top.cpu_data()[i], copy.cpu_data()[i]);
    EXPECT_NEAR(bottom.cpu_diff()[i], copy.cpu_diff()[i], 1e-6f);
  }
}

// Scores N=2 x C=2 x inner=2 with probabilities 1/4, 3/4 or 1/2 and labels
// whose losses are -log(3/4), log 2, -log(1/4); the fourth is labeled 5.
class SoftmaxWithLossTest : public ::testing::Test {
 protected:
  SoftmaxWithLossTest() : scores_(std::vector<int>{2, 2, 2}), labels_(std::vector<int>{2, 2}) {
    const float l3 = std::log(3.f);
    SetData(&scores_, {0, 0, l3, 0, l3, 0, 0, 0});
    SetData(&labels_, {1, 0, 1, 5});
  }
  float Loss(const std::string& loss_param) {
    auto layer = MakeLayer("name: 'loss' type: 'SoftmaxWithLoss' " + loss_param);
    layer->SetUp({&scores_, &labels_}, {&loss_});
    return layer->Forward({&scores_, &labels_}, {&loss_});
  }
  Blob scores_, labels_, loss_;
  const float kSum3 = 0.28768207f + 0.69314718f + 1.38629436f;
};

TEST_F(SoftmaxWithLossTest, NormalizationModes) {
  const std::string ignore = "ignore_label: 5 ";
  EXPECT_NEAR(kSum3 / 3, Loss("loss_param { " + ignore + "}"), 1e-5f);  // VALID
  EXPECT_NEAR(kSum3 / 3, Loss("loss_param { " + ignore + "normalization: VALID }"), 1e-5f);
  EXPECT_NEAR(kSum3 / 4, Loss("loss_param { " + ignore + "normalization: FULL }"), 1e-5f);
  EXPECT_NEAR(kSum3 / 2, Loss("loss_param { " + ignore + "normalization: BATCH_SIZE }"), 1e-5f);
  EXPECT_NEAR(kSum3, Loss("loss_param { " + ignore + "normalization: NONE }"), 1e-5f);
  // The top holds the loss itself (loss_weight 1 by default).
  EXPECT_NEAR(kSum3, loss_.cpu_data()[0], 1e-5f);
  EXPECT_EQ(0, loss_.num_axes());
}

TEST_F(SoftmaxWithLossTest, LegacyNormalize) {
  const std::string ignore = "ignore_label: 5 ";
  EXPECT_NEAR(kSum3 / 3, Loss("loss_param { " + ignore + "normalize: true }"), 1e-5f);
  EXPECT_NEAR(kSum3 / 2, Loss("loss_param { " + ignore + "normalize: false }"), 1e-5f);
  // An explicit normalization wins over the legacy flag.
  EXPECT_NEAR(kSum3, Loss("loss_param { " + ignore + "normalize: true normalization: NONE }"),
              1e-5f);
}

TEST_F(SoftmaxWithLossTest, IgnoreLabelZeroesItsGradient) {
  auto layer = MakeLayer("type: 'SoftmaxWithLoss' loss_param { ignore_label: 5 }");
  layer->SetUp({&scores_, &labels_}, {&loss_});
  layer->Forward({&scores_, &labels_}, {&loss_});
  layer->Backward({&loss_}, {true, false}, {&scores_, &labels_});
  // Position n=1, s=1 (elements 5 and 7) is ignored.
  EXPECT_EQ(0.f, scores_.cpu_diff()[5]);
  EXPECT_EQ(0.f, scores_.cpu_diff()[7]);
  // n=0, s=0: prob (1/4, 3/4), label 1: (1/4, -1/4) / 3 valid positions.
  EXPECT_NEAR(0.25f / 3, scores_.cpu_diff()[0], 1e-6f);
  EXPECT_NEAR(-0.25f / 3, scores_.cpu_diff()[2], 1e-6f);
}

TEST_F(SoftmaxWithLossTest, AllIgnoredGivesZeroLoss) {
  SetData(&labels_, {5, 5, 5, 5});
  EXPECT_EQ(0.f, Loss("loss_param { ignore_label: 5 }"));
}

TEST_F(SoftmaxWithLossTest, SecondTopIsTheProbabilities) {
  Blob prob;
  // As in Caffe, two tops need one loss_weight each.
  auto layer = MakeLayer(
      "type: 'SoftmaxWithLoss' loss_weight: 1 loss_weight: 0 loss_param { ignore_label: 5 }");
  layer->SetUp({&scores_, &labels_}, {&loss_, &prob});
  const float loss = layer->Forward({&scores_, &labels_}, {&loss_, &prob});
  EXPECT_NEAR(kSum3 / 3, loss, 1e-5f);
  ASSERT_EQ(scores_.shape(), prob.shape());
  const float expected[] = {0.25f, 0.5f, 0.75f, 0.5f, 0.75f, 0.5f, 0.25f, 0.5f};
  for (int i = 0; i < 8; ++i) EXPECT_NEAR(expected[i], prob.cpu_data()[i], 1e-6f);
}

TEST_F(SoftmaxWithLossTest, LabelOutOfRangeNamesTheLayer) {
  try {
    Loss("");  // label 5 is not ignored here, and there are only 2 classes
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'loss'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("label 5"), std::string::npos) << e.what();
  }
}

TEST_F(SoftmaxWithLossTest, LabelCountMismatch) {
  Blob labels(std::vector<int>{2, 3});
  auto layer = MakeLayer("name: 'loss' type: 'SoftmaxWithLoss'");
  EXPECT_THROW(layer->SetUp({&scores_, &labels}, {&loss_}), Error);
}

TEST_F(SoftmaxWithLossTest, NoGradientToLabels) {
  auto layer = MakeLayer("type: 'SoftmaxWithLoss'");
  SetData(&labels_, {1, 0, 1, 1});
  layer->SetUp({&scores_, &labels_}, {&loss_});
  layer->Forward({&scores_, &labels_}, {&loss_});
  EXPECT_THROW(layer->Backward({&loss_}, {true, true}, {&scores_, &labels_}), Error);
}

TEST(SoftmaxWithLossGradientTest, ModesAxesAndIgnoreLabel) {
  struct Case {
    std::vector<int> shape;
    std::vector<int> label_shape;
    std::string param;
  };
  const std::vector<Case> cases = {
      {{3, 4}, {3}, ""},
      {{2, 3, 2, 2}, {2, 1, 2, 2}, "loss_param { normalization: VALID ignore_label: 1 }"},
      {{2, 3, 2, 2}, {2, 2, 2}, "loss_param { normalization: FULL ignore_label: 0 }"},
      {{2, 3, 2, 2}, {2, 2, 2}, "loss_param { normalization: BATCH_SIZE }"},
      {{2, 3, 2}, {2, 2}, "loss_param { normalization: NONE ignore_label: 2 }"},
      {{2, 3, 2}, {2, 2}, "loss_param { normalize: false }"},
      {{2, 2, 3}, {2, 2}, "softmax_param { axis: -1 }"},
      {{2, 2, 3}, {2, 2}, "softmax_param { axis: 2 } loss_weight: 3"},
  };
  for (const Case& c : cases) {
    Blob scores(c.shape), labels(c.label_shape), loss;
    FillGaussian(&scores, 2.f);
    const int axis = c.param.find("axis") != std::string::npos ? 2 : 1;
    FillLabels(&labels, c.shape[axis]);
    auto layer = MakeLayer("type: 'SoftmaxWithLoss' " + c.param);
    GradientChecker checker(1e-2f, 1e-2f, 1701);
    checker.CheckGradientExhaustive(layer.get(), {&scores, &labels}, {&loss}, 0);
  }
}

}  // namespace
}  // namespace crema
