// InnerProduct: shapes (axis, transpose), a forward pass by hand, numerical
// gradients and errors.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "crema/layer_registry.hpp"
#include "crema/layers/inner_product_layer.hpp"
#include "support/gradient_checker.hpp"
#include "support/test_util.hpp"

namespace crema {
namespace {

using testing::FillGaussian;
using testing::GradientChecker;
using testing::ParseText;

LayerParameter IPParam(const std::string& text) {
  return ParseText<LayerParameter>(
      "name: 'ip' type: 'InnerProduct' inner_product_param { " + text +
      " weight_filler { type: 'gaussian' std: 0.5 }"
      " bias_filler { type: 'gaussian' std: 0.5 } }");
}

class InnerProductLayerTest : public ::testing::Test {
 protected:
  InnerProductLayerTest() { Crema::set_random_seed(1701); }

  std::shared_ptr<Layer> Make(const LayerParameter& param,
                              const std::vector<int>& shape) {
    bottom_.Reshape(shape);
    FillGaussian(&bottom_);
    auto layer = LayerRegistry::Create(param);
    layer->SetUp({&bottom_}, {&top_});
    return layer;
  }

  // With the default engine and with the reference engine forced.
  void CheckGradient(const std::string& text, const std::vector<int>& shape) {
    for (const std::string& engine : testing::EnginesUnderTest()) {
      SCOPED_TRACE("{" + text + "} engine " + (engine.empty() ? "default" : engine));
      bottom_.Reshape(shape);
      FillGaussian(&bottom_);
      auto layer = LayerRegistry::Create(testing::WithEngine(IPParam(text), engine));
      GradientChecker checker(1e-2f, 1e-3f);
      checker.CheckGradientExhaustive(layer.get(), {&bottom_}, {&top_});
    }
  }

  Blob bottom_, top_;
};

TEST_F(InnerProductLayerTest, Shapes) {
  auto layer = Make(IPParam("num_output: 10"), {2, 3, 4, 5});
  EXPECT_EQ((std::vector<int>{2, 10}), top_.shape());
  EXPECT_EQ((std::vector<int>{10, 60}), layer->blobs()[0]->shape());
  EXPECT_EQ((std::vector<int>{10}), layer->blobs()[1]->shape());

  layer = Make(IPParam("num_output: 10 transpose: true"), {2, 3, 4, 5});
  EXPECT_EQ((std::vector<int>{60, 10}), layer->blobs()[0]->shape());

  layer = Make(IPParam("num_output: 7 axis: 2"), {2, 3, 4, 5});
  EXPECT_EQ((std::vector<int>{2, 3, 7}), top_.shape());
  EXPECT_EQ((std::vector<int>{7, 20}), layer->blobs()[0]->shape());

  layer =
      Make(IPParam("num_output: 7 axis: -1 bias_term: false"), {2, 3, 4, 5});
  EXPECT_EQ((std::vector<int>{2, 3, 4, 7}), top_.shape());
  EXPECT_EQ(1u, layer->blobs().size());
}

TEST_F(InnerProductLayerTest, DefaultFillersAreConstantZero) {
  auto layer =
      Make(ParseText<LayerParameter>("name: 'ip' type: 'InnerProduct' "
                                     "inner_product_param { num_output: 3 }"),
           {2, 4});
  EXPECT_EQ(0.f, layer->blobs()[0]->asum_data());
  EXPECT_EQ(0.f, layer->blobs()[1]->asum_data());
}

// x = [1 2 3; 4 5 6], W = [1 0 -1; 2 1 0], b = [0.5 -1].
TEST_F(InnerProductLayerTest, ForwardByHand) {
  for (bool transpose : {false, true}) {
    auto layer = Make(IPParam(std::string("num_output: 2 transpose: ") +
                              (transpose ? "true" : "false")),
                      {2, 3});
    for (int i = 0; i < 6; ++i) bottom_.mutable_cpu_data()[i] = i + 1;
    const float w[2][3] = {{1, 0, -1}, {2, 1, 0}};
    float* weight = layer->blobs()[0]->mutable_cpu_data();
    for (int n = 0; n < 2; ++n) {
      for (int k = 0; k < 3; ++k) {
        weight[transpose ? k * 2 + n : n * 3 + k] = w[n][k];
      }
    }
    layer->blobs()[1]->mutable_cpu_data()[0] = 0.5f;
    layer->blobs()[1]->mutable_cpu_data()[1] = -1.f;
    layer->Forward({&bottom_}, {&top_});
    EXPECT_EQ((std::vector<float>{-1.5f, 3.f, -1.5f, 12.f}),
              std::vector<float>(top_.cpu_data(), top_.cpu_data() + 4))
        << "transpose " << transpose;
  }
}

// The same weights stored transposed give the same outputs and gradients.
TEST_F(InnerProductLayerTest, TransposeMatchesPlain) {
  auto plain = Make(IPParam("num_output: 3"), {2, 4});
  Blob top_t;
  auto transposed =
      LayerRegistry::Create(IPParam("num_output: 3 transpose: true"));
  transposed->SetUp({&bottom_}, {&top_t});
  for (int n = 0; n < 3; ++n) {
    for (int k = 0; k < 4; ++k) {
      transposed->blobs()[0]->mutable_cpu_data()[k * 3 + n] =
          plain->blobs()[0]->cpu_data()[n * 4 + k];
    }
  }
  transposed->blobs()[1]->CopyFrom(*plain->blobs()[1]);
  plain->Forward({&bottom_}, {&top_});
  transposed->Forward({&bottom_}, {&top_t});
  for (int i = 0; i < top_.count(); ++i) {
    EXPECT_NEAR(top_.cpu_data()[i], top_t.cpu_data()[i], 1e-5);
  }
}

TEST_F(InnerProductLayerTest, Gradient) {
  CheckGradient("num_output: 3", {2, 3, 2, 2});
  CheckGradient("num_output: 2 bias_term: false", {3, 5});
}

TEST_F(InnerProductLayerTest, GradientTranspose) {
  CheckGradient("num_output: 3 transpose: true", {2, 3, 2, 2});
  CheckGradient("num_output: 2 transpose: true bias_term: false", {3, 4});
}

TEST_F(InnerProductLayerTest, GradientWithAxis) {
  CheckGradient("num_output: 2 axis: 2", {2, 2, 3, 2});
  CheckGradient("num_output: 2 axis: 2 transpose: true", {2, 2, 3});
}

TEST_F(InnerProductLayerTest, Errors) {
  auto layer = Make(IPParam("num_output: 3"), {2, 12});
  Blob wrong(std::vector<int>{2, 11});
  try {
    layer->Forward({&wrong}, {&top_});
    ADD_FAILURE() << "expected a size error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("layer 'ip' (InnerProduct)"),
              std::string::npos);
    EXPECT_NE(std::string(e.what()).find("weights expect 12"),
              std::string::npos)
        << e.what();
  }
  bottom_.Reshape({2, 3});
  EXPECT_THROW(LayerRegistry::Create(IPParam(""))->SetUp({&bottom_}, {&top_}),
               Error);

  LayerParameter loaded = IPParam("num_output: 3");
  Blob weight(std::vector<int>{3, 5}), bias(std::vector<int>{3});
  weight.ToProto(loaded.add_blobs());
  bias.ToProto(loaded.add_blobs());
  try {
    LayerRegistry::Create(loaded)->SetUp({&bottom_}, {&top_});
    ADD_FAILURE() << "expected a weight shape error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("weight blob has shape"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace crema
