// ReLU, Sigmoid, TanH and Dropout: forward values, gradients, in place.
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

class NeuronLayerTest : public ::testing::Test {
 protected:
  NeuronLayerTest() : bottom_(2, 3, 4, 5) { FillGaussian(&bottom_); }
  std::vector<Blob*> bottom_vec() { return {&bottom_}; }
  std::vector<Blob*> top_vec() { return {&top_}; }
  Blob bottom_;
  Blob top_;
};

TEST_F(NeuronLayerTest, ReLUForward) {
  auto layer = MakeLayer("name: 'relu' type: 'ReLU'");
  layer->SetUp(bottom_vec(), top_vec());
  layer->Forward(bottom_vec(), top_vec());
  ASSERT_EQ(top_.shape(), bottom_.shape());
  for (int i = 0; i < bottom_.count(); ++i) {
    const float x = bottom_.cpu_data()[i];
    EXPECT_EQ(x > 0 ? x : 0.f, top_.cpu_data()[i]);
  }
}

TEST_F(NeuronLayerTest, LeakyReLUForward) {
  auto layer = MakeLayer("name: 'relu' type: 'ReLU' relu_param { negative_slope: 0.01 }");
  layer->SetUp(bottom_vec(), top_vec());
  layer->Forward(bottom_vec(), top_vec());
  for (int i = 0; i < bottom_.count(); ++i) {
    const float x = bottom_.cpu_data()[i];
    EXPECT_FLOAT_EQ(x > 0 ? x : 0.01f * x, top_.cpu_data()[i]);
  }
}

TEST_F(NeuronLayerTest, ReLUGradient) {
  for (const std::string& engine : testing::EnginesUnderTest()) {
    for (const char* slope : {"0", "0.01", "0.3"}) {
      SCOPED_TRACE(std::string("slope ") + slope + " engine " +
                   (engine.empty() ? "default" : engine));
      auto layer = LayerRegistry::Create(testing::WithEngine(
          ParseText<LayerParameter>(std::string("type: 'ReLU' relu_param { negative_slope: ") +
                                    slope + " }"),
          engine));
      GradientChecker checker(1e-2f, 1e-3f, 1701, 0.f, 0.01f);
      checker.CheckGradientEltwise(layer.get(), bottom_vec(), top_vec());
    }
  }
}

TEST_F(NeuronLayerTest, ReLUInPlaceMatchesOutOfPlace) {
  auto layer = MakeLayer("type: 'ReLU' relu_param { negative_slope: 0.2 }");
  layer->SetUp(bottom_vec(), top_vec());
  layer->Forward(bottom_vec(), top_vec());
  for (int i = 0; i < top_.count(); ++i) top_.mutable_cpu_diff()[i] = 0.5f * i - 3.f;
  layer->Backward(top_vec(), {true}, bottom_vec());

  Blob in_place(bottom_.shape());
  in_place.CopyFrom(bottom_);
  auto layer2 = MakeLayer("type: 'ReLU' relu_param { negative_slope: 0.2 }");
  std::vector<Blob*> both{&in_place};
  layer2->SetUp(both, both);
  layer2->Forward(both, both);
  for (int i = 0; i < top_.count(); ++i) {
    EXPECT_EQ(top_.cpu_data()[i], in_place.cpu_data()[i]);
  }
  for (int i = 0; i < top_.count(); ++i) in_place.mutable_cpu_diff()[i] = 0.5f * i - 3.f;
  layer2->Backward(both, {true}, both);
  for (int i = 0; i < top_.count(); ++i) {
    EXPECT_FLOAT_EQ(bottom_.cpu_diff()[i], in_place.cpu_diff()[i]);
  }
}

TEST_F(NeuronLayerTest, ReLUGradientInPlace) {
  Blob original(bottom_.shape());
  original.CopyFrom(bottom_);
  for (const std::string& engine : testing::EnginesUnderTest()) {
    SCOPED_TRACE("engine " + (engine.empty() ? std::string("default") : engine));
    auto layer = LayerRegistry::Create(testing::WithEngine(
        ParseText<LayerParameter>("type: 'ReLU' relu_param { negative_slope: 0.1 }"), engine));
    // The checker perturbs the bottom, which is the top too: check by hand.
    bottom_.CopyFrom(original);
    std::vector<Blob*> both{&bottom_};
    layer->SetUp(both, both);
    layer->Forward(both, both);
    for (int i = 0; i < bottom_.count(); ++i) bottom_.mutable_cpu_diff()[i] = 1.f + i;
    layer->Backward(both, {true}, both);
    for (int i = 0; i < bottom_.count(); ++i) {
      const float x = original.cpu_data()[i];
      EXPECT_FLOAT_EQ((1.f + i) * (x > 0 ? 1.f : 0.1f), bottom_.cpu_diff()[i]);
    }
  }
}

TEST_F(NeuronLayerTest, SigmoidForwardAndGradient) {
  auto layer = MakeLayer("type: 'Sigmoid'");
  layer->SetUp(bottom_vec(), top_vec());
  layer->Forward(bottom_vec(), top_vec());
  for (int i = 0; i < bottom_.count(); ++i) {
    const float x = bottom_.cpu_data()[i];
    EXPECT_NEAR(1.f / (1.f + std::exp(-x)), top_.cpu_data()[i], 1e-6f);
    EXPECT_GE(top_.cpu_data()[i], 0.f);
    EXPECT_LE(top_.cpu_data()[i], 1.f);
  }
  GradientChecker checker(1e-2f, 1e-3f, 1701, 0.f, 0.01f);
  checker.CheckGradientEltwise(layer.get(), bottom_vec(), top_vec());
}

TEST_F(NeuronLayerTest, TanHForwardAndGradient) {
  auto layer = MakeLayer("type: 'TanH'");
  layer->SetUp(bottom_vec(), top_vec());
  layer->Forward(bottom_vec(), top_vec());
  for (int i = 0; i < bottom_.count(); ++i) {
    const float x = bottom_.cpu_data()[i];
    EXPECT_NEAR((std::exp(2 * x) - 1) / (std::exp(2 * x) + 1), top_.cpu_data()[i], 1e-5f);
  }
  GradientChecker checker(1e-2f, 1e-3f);
  checker.CheckGradientEltwise(layer.get(), bottom_vec(), top_vec());
}

TEST_F(NeuronLayerTest, SigmoidAndTanHInPlace) {
  for (const char* type : {"Sigmoid", "TanH"}) {
    auto out = MakeLayer(std::string("type: '") + type + "'");
    auto in = MakeLayer(std::string("type: '") + type + "'");
    Blob copy(bottom_.shape());
    copy.CopyFrom(bottom_);
    std::vector<Blob*> both{&copy};
    out->SetUp(bottom_vec(), top_vec());
    in->SetUp(both, both);
    out->Forward(bottom_vec(), top_vec());
    in->Forward(both, both);
    for (int i = 0; i < top_.count(); ++i) {
      top_.mutable_cpu_diff()[i] = 0.1f * i;
      copy.mutable_cpu_diff()[i] = 0.1f * i;
    }
    out->Backward(top_vec(), {true}, bottom_vec());
    in->Backward(both, {true}, both);
    for (int i = 0; i < top_.count(); ++i) {
      EXPECT_FLOAT_EQ(top_.cpu_data()[i], copy.cpu_data()[i]) << type;
      EXPECT_FLOAT_EQ(bottom_.cpu_diff()[i], copy.cpu_diff()[i]) << type;
    }
  }
}

TEST_F(NeuronLayerTest, DropoutTrainMasksAndScales) {
  auto layer = MakeLayer("type: 'Dropout' phase: TRAIN dropout_param { dropout_ratio: 0.25 }");
  for (int i = 0; i < bottom_.count(); ++i) bottom_.mutable_cpu_data()[i] = 1.f + i % 7;
  layer->SetUp(bottom_vec(), top_vec());
  layer->Forward(bottom_vec(), top_vec());
  int kept = 0;
  for (int i = 0; i < bottom_.count(); ++i) {
    const float y = top_.cpu_data()[i];
    if (y != 0.f) {
      EXPECT_FLOAT_EQ(bottom_.cpu_data()[i] / 0.75f, y);
      ++kept;
    }
  }
  // 120 elements kept with probability 0.75: far from 0 and from all.
  EXPECT_GT(kept, 60);
  EXPECT_LT(kept, 115);
  // Backward uses the same mask and scale.
  for (int i = 0; i < top_.count(); ++i) top_.mutable_cpu_diff()[i] = 1.f;
  layer->Backward(top_vec(), {true}, bottom_vec());
  for (int i = 0; i < bottom_.count(); ++i) {
    EXPECT_FLOAT_EQ(top_.cpu_data()[i] == 0.f ? 0.f : 1.f / 0.75f, bottom_.cpu_diff()[i]);
  }
}

TEST_F(NeuronLayerTest, DropoutTestIsIdentity) {
  auto layer = MakeLayer("type: 'Dropout' phase: TEST dropout_param { dropout_ratio: 0.5 }");
  layer->SetUp(bottom_vec(), top_vec());
  layer->Forward(bottom_vec(), top_vec());
  for (int i = 0; i < bottom_.count(); ++i) {
    EXPECT_EQ(bottom_.cpu_data()[i], top_.cpu_data()[i]);
    top_.mutable_cpu_diff()[i] = 2.f * i;
  }
  layer->Backward(top_vec(), {true}, bottom_vec());
  for (int i = 0; i < bottom_.count(); ++i) EXPECT_EQ(2.f * i, bottom_.cpu_diff()[i]);
}

TEST_F(NeuronLayerTest, DropoutGradient) {
  for (const char* phase : {"TRAIN", "TEST"}) {
    auto layer = MakeLayer(std::string("type: 'Dropout' phase: ") + phase +
                           " dropout_param { dropout_ratio: 0.3 }");
    GradientChecker checker(1e-2f, 1e-3f);
    checker.CheckGradientEltwise(layer.get(), bottom_vec(), top_vec());
  }
}

TEST_F(NeuronLayerTest, DropoutInPlace) {
  auto layer = MakeLayer("type: 'Dropout' phase: TRAIN");
  Blob original(bottom_.shape());
  original.CopyFrom(bottom_);
  std::vector<Blob*> both{&bottom_};
  layer->SetUp(both, both);
  layer->Forward(both, both);
  for (int i = 0; i < bottom_.count(); ++i) {
    const float y = bottom_.cpu_data()[i];
    EXPECT_TRUE(y == 0.f || y == 2.f * original.cpu_data()[i]) << i;
  }
}

TEST_F(NeuronLayerTest, DropoutRejectsBadRatio) {
  auto layer = MakeLayer("name: 'drop' type: 'Dropout' dropout_param { dropout_ratio: 1 }");
  EXPECT_THROW(layer->SetUp(bottom_vec(), top_vec()), Error);
}

}  // namespace
}  // namespace crema
