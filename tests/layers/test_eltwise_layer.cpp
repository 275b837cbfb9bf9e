// Eltwise: PROD, SUM with coefficients, MAX; gradients; errors.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "crema/layer_registry.hpp"
#include "support/gradient_checker.hpp"
#include "support/test_util.hpp"

namespace crema {
namespace {

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

class EltwiseLayerTest : public ::testing::Test {
 protected:
  EltwiseLayerTest() : a_(std::vector<int>{2, 2}), b_(std::vector<int>{2, 2}),
                       c_(std::vector<int>{2, 2}) {
    SetData(&a_, {1, -2, 3, 0.5f});
    SetData(&b_, {4, 5, -6, 0.5f});
    SetData(&c_, {2, 1, 0, -1});
  }
  std::vector<float> Run(const std::string& param) {
    layer_ = MakeLayer("name: 'e' type: 'Eltwise' eltwise_param { " + param + " }");
    layer_->SetUp({&a_, &b_, &c_}, {&top_});
    layer_->Forward({&a_, &b_, &c_}, {&top_});
    return std::vector<float>(top_.cpu_data(), top_.cpu_data() + top_.count());
  }
  Blob a_, b_, c_, top_;
  std::shared_ptr<Layer> layer_;
};

TEST_F(EltwiseLayerTest, Sum) {
  EXPECT_EQ((std::vector<float>{7, 4, -3, 0}), Run("operation: SUM"));
}

TEST_F(EltwiseLayerTest, SumWithCoefficients) {
  // a - 0.5 b + 2 c
  EXPECT_EQ((std::vector<float>{3, -2.5f, 6, -1.75f}),
            Run("operation: SUM coeff: 1 coeff: -0.5 coeff: 2"));
  for (int i = 0; i < 4; ++i) top_.mutable_cpu_diff()[i] = 1.f + i;
  layer_->Backward({&top_}, {true, true, true}, {&a_, &b_, &c_});
  for (int i = 0; i < 4; ++i) {
    EXPECT_FLOAT_EQ(1.f + i, a_.cpu_diff()[i]);
    EXPECT_FLOAT_EQ(-0.5f * (1.f + i), b_.cpu_diff()[i]);
    EXPECT_FLOAT_EQ(2.f * (1.f + i), c_.cpu_diff()[i]);
  }
}

TEST_F(EltwiseLayerTest, Prod) {
  EXPECT_EQ((std::vector<float>{8, -10, 0, -0.25f}), Run("operation: PROD"));
  for (int i = 0; i < 4; ++i) top_.mutable_cpu_diff()[i] = 1.f;
  layer_->Backward({&top_}, {true, false, false}, {&a_, &b_, &c_});
  // The stable gradient is right even where another bottom (c) is 0.
  EXPECT_EQ((std::vector<float>{8, 5, 0, -0.5f}),
            std::vector<float>(a_.cpu_diff(), a_.cpu_diff() + 4));
  layer_->Backward({&top_}, {false, false, true}, {&a_, &b_, &c_});
  EXPECT_FLOAT_EQ(-18.f, c_.cpu_diff()[2]);  // a * b where c is 0
}

TEST_F(EltwiseLayerTest, MaxRoutesGradientToTheWinner) {
  EXPECT_EQ((std::vector<float>{4, 5, 3, 0.5f}), Run("operation: MAX"));
  for (int i = 0; i < 4; ++i) top_.mutable_cpu_diff()[i] = 10.f + i;
  layer_->Backward({&top_}, {true, true, true}, {&a_, &b_, &c_});
  // Element 3 is a tie between a and b: Caffe gives it to b.
  EXPECT_EQ((std::vector<float>{0, 0, 12, 0}),
            std::vector<float>(a_.cpu_diff(), a_.cpu_diff() + 4));
  EXPECT_EQ((std::vector<float>{10, 11, 0, 13}),
            std::vector<float>(b_.cpu_diff(), b_.cpu_diff() + 4));
  EXPECT_EQ((std::vector<float>{0, 0, 0, 0}),
            std::vector<float>(c_.cpu_diff(), c_.cpu_diff() + 4));
}

TEST(EltwiseGradientTest, AllOperations) {
  const std::vector<std::string> params = {
      "operation: SUM", "operation: SUM coeff: 1 coeff: -0.5 coeff: 2",
      "operation: PROD", "operation: PROD stable_prod_grad: false",
      "operation: MAX"};
  for (const std::string& param : params) {
    Blob a(std::vector<int>{2, 3, 2}), b(a.shape()), c(a.shape()), top;
    // Away from zero (the unstable product divides) and distinct for MAX.
    FillUniform(&a, 0.5f, 1.5f);
    FillUniform(&b, 2.0f, 3.0f);
    FillUniform(&c, -1.5f, -0.5f);
    for (int i = 0; i < a.count(); i += 3) {
      std::swap(a.mutable_cpu_data()[i], b.mutable_cpu_data()[i]);
    }
    auto layer = MakeLayer("type: 'Eltwise' eltwise_param { " + param + " }");
    GradientChecker checker(1e-3f, 1e-2f);
    checker.CheckGradientEltwise(layer.get(), {&a, &b, &c}, {&top});
  }
}

TEST(EltwiseGradientTest, TwoBottoms) {
  for (const std::string param : {"operation: PROD", "operation: MAX", "coeff: 3 coeff: -1"}) {
    Blob a(std::vector<int>{2, 3}), b(a.shape()), top;
    FillUniform(&a, 0.5f, 1.5f);
    FillUniform(&b, 2.0f, 3.0f);
    auto layer = MakeLayer("type: 'Eltwise' eltwise_param { " + param + " }");
    GradientChecker checker(1e-3f, 1e-2f);
    checker.CheckGradientEltwise(layer.get(), {&a, &b}, {&top});
  }
}

TEST(EltwiseErrorTest, ShapeMismatchNamesLayerAndShapes) {
  Blob a(std::vector<int>{2, 3}), b(std::vector<int>{3, 2}), top;
  auto layer = MakeLayer("name: 'sum1' type: 'Eltwise'");
  try {
    layer->SetUp({&a, &b}, {&top});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("'sum1'"), std::string::npos) << what;
    EXPECT_NE(what.find(a.shape_string()), std::string::npos) << what;
    EXPECT_NE(what.find(b.shape_string()), std::string::npos) << what;
  }
}

TEST(EltwiseErrorTest, CoefficientErrors) {
  Blob a(std::vector<int>{2}), b(std::vector<int>{2}), top;
  auto count = MakeLayer("name: 'e' type: 'Eltwise' eltwise_param { coeff: 1 }");
  EXPECT_THROW(count->SetUp({&a, &b}, {&top}), Error);
  auto prod = MakeLayer(
      "name: 'e' type: 'Eltwise' eltwise_param { operation: PROD coeff: 1 coeff: 2 }");
  EXPECT_THROW(prod->SetUp({&a, &b}, {&top}), Error);
}

}  // namespace
}  // namespace crema
