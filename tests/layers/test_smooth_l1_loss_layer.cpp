// SmoothL1Loss (Fast R-CNN's fork): losses computed by hand, with sigma and
// inside/outside weights; numerical gradients; the fork's field number.
#include <gtest/gtest.h>

#include <functional>
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

std::string ErrorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

class SmoothL1LossTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (Blob* blob : {&a_, &b_, &inside_, &outside_}) blob->Reshape(std::vector<int>{2, 2});
    SetData(&a_, {0.5f, -2.f, 3.f, 0.f});
    SetData(&b_, {0.f, 0.f, 1.f, 0.2f});  // a - b = 0.5, -2, 2, -0.2
    SetData(&inside_, {1.f, 0.5f, 0.f, 2.f});
    SetData(&outside_, {1.f, 2.f, 3.f, 0.5f});
  }
  float Loss(const std::string& param, const std::vector<Blob*>& bottom) {
    auto layer = MakeLayer("type: 'SmoothL1Loss' " + param);
    layer->SetUp(bottom, {&top_});
    return layer->Forward(bottom, {&top_});
  }

  Blob a_, b_, inside_, outside_, top_;
};

TEST_F(SmoothL1LossTest, ForwardSigmaOne) {
  // 0.5 * 0.25 + (2 - 0.5) + (2 - 0.5) + 0.5 * 0.04 = 3.145, over 2 items.
  EXPECT_FLOAT_EQ(Loss("", {&a_, &b_}), 1.5725f);
  EXPECT_FLOAT_EQ(top_.cpu_data()[0], 1.5725f);
}

TEST_F(SmoothL1LossTest, ForwardSigmaTwo) {
  // sigma^2 = 4: quadratic below 0.25. (0.5 - 0.125) + 2 * (2 - 0.125)
  // + 0.5 * 4 * 0.04 = 4.205, over 2 items.
  EXPECT_FLOAT_EQ(Loss("smooth_l1_loss_param { sigma: 2 }", {&a_, &b_}), 2.1025f);
}

TEST_F(SmoothL1LossTest, ForwardInsideAndOutsideWeights) {
  // d = 0.5, -1, 0, -0.4: costs 0.125, 0.5, 0, 0.08, times 1, 2, 3, 0.5.
  EXPECT_FLOAT_EQ(Loss("", {&a_, &b_, &inside_, &outside_}), (0.125f + 1.f + 0.04f) / 2);
}

TEST_F(SmoothL1LossTest, GradientsOfPredictionsAndTargets) {
  for (const char* sigma : {"1", "3"}) {
    for (bool weights : {false, true}) {
      Blob a(std::vector<int>{3, 4, 2}), b(a.shape()), in(a.shape()), out(a.shape()), top;
      FillGaussian(&a, 1.5f);
      FillGaussian(&b);
      FillUniform(&in, 0.f, 2.f);
      FillUniform(&out, 0.f, 3.f);
      std::vector<Blob*> bottom = {&a, &b};
      if (weights) bottom = {&a, &b, &in, &out};
      auto layer = MakeLayer(std::string("type: 'SmoothL1Loss' loss_weight: 2 "
                                         "smooth_l1_loss_param { sigma: ") + sigma + " }");
      layer->SetUp(bottom, {&top});
      GradientChecker checker(1e-3f, 2e-2f);
      checker.CheckGradientSingle(layer.get(), bottom, {&top}, 0, -1, -1);
      checker.CheckGradientSingle(layer.get(), bottom, {&top}, 1, -1, -1);
    }
  }
  EXPECT_TRUE(MakeLayer("type: 'SmoothL1Loss'")->AllowForceBackward(1));
  EXPECT_FALSE(MakeLayer("type: 'SmoothL1Loss'")->AllowForceBackward(2));
}

TEST_F(SmoothL1LossTest, ClearErrors) {
  std::string error = ErrorOf([&] { Loss("", {&a_, &b_, &inside_}); });
  EXPECT_NE(error.find("got 3 bottoms"), std::string::npos) << error;
  Blob wrong(std::vector<int>{2, 3});
  error = ErrorOf([&] {
    auto layer = MakeLayer("name: 'bbox_loss' type: 'SmoothL1Loss' bottom: 'pred' "
                           "bottom: 'target'");
    layer->SetUp({&a_, &wrong}, {&top_});
  });
  EXPECT_NE(error.find("bbox_loss"), std::string::npos) << error;
  EXPECT_NE(error.find("bottom 'target'"), std::string::npos) << error;
  error = ErrorOf([&] { Loss("smooth_l1_loss_param { sigma: 0 }", {&a_, &b_}); });
  EXPECT_NE(error.find("sigma must be positive"), std::string::npos) << error;
}

// Fast R-CNN's fork stores the parameter as LayerParameter field 8266712,
// its sigma as field 1 (a float).
TEST(SmoothL1LossParamTest, WireFormatOfTheFork) {
  const LayerParameter param =
      ParseText<LayerParameter>("smooth_l1_loss_param { sigma: 3 }");
  const std::string bytes = param.SerializeAsString();
  // Tag (8266712 << 3 | 2) as a varint, length 5, tag of field 1 as fixed32.
  const std::string expected("\xc2\xbd\xc4\x1f\x05\x0d\x00\x00\x40\x40", 10);
  EXPECT_EQ(bytes, expected);
}

}  // namespace
}  // namespace crema
