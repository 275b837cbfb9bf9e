// RNN, LSTM and LSTMUnit: forward values computed by hand on one-unit
// examples, Caffe's parameter layout, state carried between batches,
// numerical gradients (inputs, static input, exposed states, parameters)
// and user-facing errors.
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

using testing::FillUniform;
using testing::GradientChecker;
using testing::ParseText;

float Sigmoid(float x) { return 1.f / (1.f + std::exp(-x)); }

LayerParameter RecurrentParam(const std::string& type, int num_output,
                              bool expose_hidden = false) {
  return ParseText<LayerParameter>(
      "name: 'rec' type: '" + type +
      "' recurrent_param { num_output: " + std::to_string(num_output) +
      " weight_filler { type: 'uniform' min: -0.5 max: 0.5 }"
      " bias_filler { type: 'uniform' min: -0.5 max: 0.5 }" +
      (expose_hidden ? " expose_hidden: true" : "") + " }");
}

void SetValues(Blob* blob, const std::vector<float>& values) {
  ASSERT_EQ(blob->count(), static_cast<int>(values.size()));
  std::copy(values.begin(), values.end(), blob->mutable_cpu_data());
}

class RecurrentLayerTest : public ::testing::Test {
 protected:
  RecurrentLayerTest() { Crema::set_random_seed(1701); }
};

TEST_F(RecurrentLayerTest, RNNForwardByHand) {
  Blob x(std::vector<int>{2, 1, 1}), cont(std::vector<int>{2, 1}), top;
  SetValues(&x, {1.f, -2.f});
  SetValues(&cont, {0.f, 1.f});
  auto layer = LayerRegistry::Create(RecurrentParam("RNN", 1));
  layer->SetUp({&x, &cont}, {&top});
  ASSERT_EQ(5u, layer->blobs().size());  // W_xh, b_h, W_hh, W_ho, b_o
  const float w_xh = 0.5f, b_h = 0.1f, w_hh = 0.8f, w_ho = 1.5f, b_o = -0.2f;
  SetValues(layer->blobs()[0].get(), {w_xh});
  SetValues(layer->blobs()[1].get(), {b_h});
  SetValues(layer->blobs()[2].get(), {w_hh});
  SetValues(layer->blobs()[3].get(), {w_ho});
  SetValues(layer->blobs()[4].get(), {b_o});
  layer->Forward({&x, &cont}, {&top});
  ASSERT_EQ((std::vector<int>{2, 1, 1}), top.shape());
  const float h1 = std::tanh(w_xh * 1.f + b_h);
  const float h2 = std::tanh(w_xh * -2.f + b_h + w_hh * h1);
  EXPECT_NEAR(std::tanh(w_ho * h1 + b_o), top.cpu_data()[0], 1e-6);
  EXPECT_NEAR(std::tanh(w_ho * h2 + b_o), top.cpu_data()[1], 1e-6);
}

TEST_F(RecurrentLayerTest, LSTMForwardByHand) {
  Blob x(std::vector<int>{2, 1, 1}), cont(std::vector<int>{2, 1}), top;
  SetValues(&x, {0.7f, -1.1f});
  SetValues(&cont, {0.f, 1.f});
  auto layer = LayerRegistry::Create(RecurrentParam("LSTM", 1));
  layer->SetUp({&x, &cont}, {&top});
  ASSERT_EQ(3u, layer->blobs().size());  // W_xc, b_c, W_hc
  // Gate order i, f, o, g.
  const float wx[4] = {0.3f, -0.4f, 0.9f, 1.2f};
  const float b[4] = {0.1f, 0.2f, -0.3f, 0.05f};
  const float wh[4] = {-0.6f, 0.5f, 0.25f, 0.8f};
  SetValues(layer->blobs()[0].get(), {wx[0], wx[1], wx[2], wx[3]});
  SetValues(layer->blobs()[1].get(), {b[0], b[1], b[2], b[3]});
  SetValues(layer->blobs()[2].get(), {wh[0], wh[1], wh[2], wh[3]});
  layer->Forward({&x, &cont}, {&top});
  float h = 0.f, c = 0.f;
  for (int t = 0; t < 2; ++t) {
    const float xt = t == 0 ? 0.7f : -1.1f;
    const float ct = t == 0 ? 0.f : 1.f;
    const float hc = ct * h;
    const float i = Sigmoid(wx[0] * xt + b[0] + wh[0] * hc);
    const float f = Sigmoid(wx[1] * xt + b[1] + wh[1] * hc);
    const float o = Sigmoid(wx[2] * xt + b[2] + wh[2] * hc);
    const float g = std::tanh(wx[3] * xt + b[3] + wh[3] * hc);
    c = ct * f * c + i * g;
    h = o * std::tanh(c);
    EXPECT_NEAR(h, top.cpu_data()[t], 1e-6) << "step " << t;
  }
}

TEST_F(RecurrentLayerTest, ParameterLayoutMatchesCaffe) {
  Blob x(std::vector<int>{3, 2, 4, 2}), cont(std::vector<int>{3, 2});
  Blob x_static(std::vector<int>{2, 5}), top;
  auto lstm = LayerRegistry::Create(RecurrentParam("LSTM", 6));
  lstm->SetUp({&x, &cont, &x_static}, {&top});
  ASSERT_EQ(4u, lstm->blobs().size());
  EXPECT_EQ((std::vector<int>{24, 8}), lstm->blobs()[0]->shape());  // W_xc
  EXPECT_EQ((std::vector<int>{24}), lstm->blobs()[1]->shape());     // b_c
  EXPECT_EQ((std::vector<int>{24, 5}), lstm->blobs()[2]->shape());  // static
  EXPECT_EQ((std::vector<int>{24, 6}), lstm->blobs()[3]->shape());  // W_hc
  EXPECT_EQ((std::vector<int>{3, 2, 6}), top.shape());

  auto rnn = LayerRegistry::Create(RecurrentParam("RNN", 6));
  rnn->SetUp({&x, &cont, &x_static}, {&top});
  std::vector<std::vector<int>> shapes;
  for (auto& b : rnn->blobs()) shapes.push_back(b->shape());
  EXPECT_EQ(
      (std::vector<std::vector<int>>{{6, 8}, {6}, {6, 5}, {6, 6}, {6, 6}, {6}}),
      shapes);
}

// Running T steps at once equals running them in two halves, whether the
// state is carried inside the layer or passed through exposed blobs.
void CheckSplitSequence(const std::string& type, bool expose) {
  const int T = 4, N = 2, D = 3, H = 3;
  const int states = type == "LSTM" ? 2 : 1;
  Blob x(std::vector<int>{T, N, D}), cont(std::vector<int>{T, N});
  FillUniform(&x, -1.f, 1.f);
  SetValues(&cont, {0, 0, 1, 1, 1, 0, 1, 1});
  std::vector<std::unique_ptr<Blob>> h0, hT;
  for (int i = 0; i < states; ++i) {
    h0.emplace_back(new Blob(std::vector<int>{1, N, H}));
    hT.emplace_back(new Blob());
  }
  auto whole = LayerRegistry::Create(RecurrentParam(type, H, expose));
  Blob whole_top;
  std::vector<Blob*> bottom = {&x, &cont}, top = {&whole_top};
  for (int i = 0; i < states && expose; ++i) {
    bottom.push_back(h0[i].get());
    top.push_back(hT[i].get());
  }
  whole->SetUp(bottom, top);
  whole->Forward(bottom, top);

  // The same weights, fed two steps at a time.
  LayerParameter with_weights = RecurrentParam(type, H, expose);
  for (auto& b : whole->blobs()) b->ToProto(with_weights.add_blobs());
  auto halves = LayerRegistry::Create(with_weights);
  Blob half_x(std::vector<int>{2, N, D}), half_cont(std::vector<int>{2, N});
  Blob half_top;
  std::vector<Blob*> half_bottom = {&half_x, &half_cont},
                     half_tops = {&half_top};
  for (int i = 0; i < states && expose; ++i) {
    cpu_zero(h0[i]->count(), h0[i]->mutable_cpu_data());
    half_bottom.push_back(h0[i].get());
    half_tops.push_back(hT[i].get());
  }
  halves->SetUp(half_bottom, half_tops);
  for (int part = 0; part < 2; ++part) {
    cpu_copy(2 * N * D, x.cpu_data() + part * 2 * N * D,
             half_x.mutable_cpu_data());
    cpu_copy(2 * N, cont.cpu_data() + part * 2 * N,
             half_cont.mutable_cpu_data());
    if (part == 1 && expose) {
      for (int i = 0; i < states; ++i) h0[i]->CopyFrom(*hT[i]);
    }
    halves->Forward(half_bottom, half_tops);
    for (int k = 0; k < 2 * N * H; ++k) {
      EXPECT_NEAR(whole_top.cpu_data()[part * 2 * N * H + k],
                  half_top.cpu_data()[k], 1e-5)
          << type << " part " << part << " element " << k;
    }
  }
}

TEST_F(RecurrentLayerTest, RNNStateCarriesAcrossBatches) {
  CheckSplitSequence("RNN", false);
  CheckSplitSequence("RNN", true);
}

TEST_F(RecurrentLayerTest, LSTMStateCarriesAcrossBatches) {
  CheckSplitSequence("LSTM", false);
  CheckSplitSequence("LSTM", true);
}

// Gradient checks. Without exposed states cont is 0 at t = 0, so the state
// carried from the previous Forward does not enter the objective.
void CheckRecurrentGradients(const std::string& type, int T, int N, int D,
                             int H, bool with_static, bool expose) {
  Crema::set_random_seed(1701);
  const int states = type == "LSTM" ? 2 : 1;
  Blob x(std::vector<int>{T, N, D}), cont(std::vector<int>{T, N});
  Blob x_static(std::vector<int>{N, 2}), top;
  FillUniform(&x, -1.f, 1.f);
  FillUniform(&x_static, -1.f, 1.f);
  float* c = cont.mutable_cpu_data();
  for (int t = 0; t < T; ++t) {
    for (int n = 0; n < N; ++n) {
      c[t * N + n] = (t == 0 && !expose) ? 0.f : ((t + n) % 3 == 2 ? 0.f : 1.f);
    }
  }
  std::vector<std::unique_ptr<Blob>> h0, hT;
  std::vector<Blob*> bottom = {&x, &cont}, tops = {&top};
  if (with_static) bottom.push_back(&x_static);
  for (int i = 0; expose && i < states; ++i) {
    h0.emplace_back(new Blob(std::vector<int>{1, N, H}));
    FillUniform(h0.back().get(), -1.f, 1.f);
    hT.emplace_back(new Blob());
    bottom.push_back(h0.back().get());
    tops.push_back(hT.back().get());
  }
  auto layer = LayerRegistry::Create(RecurrentParam(type, H, expose));
  GradientChecker checker(1e-2f, 1e-3f);
  for (int b = 0; b < static_cast<int>(bottom.size()); ++b) {
    if (b == 1) continue;  // cont gets no gradient
    SCOPED_TRACE(type + " bottom " + std::to_string(b));
    checker.CheckGradient(layer.get(), bottom, tops, b);
  }
}

TEST_F(RecurrentLayerTest, RNNGradient) {
  CheckRecurrentGradients("RNN", 3, 2, 3, 3, false, false);
  CheckRecurrentGradients("RNN", 1, 1, 2, 2, false, false);
}

TEST_F(RecurrentLayerTest, RNNGradientStaticInputAndExposedState) {
  CheckRecurrentGradients("RNN", 3, 2, 2, 3, true, false);
  CheckRecurrentGradients("RNN", 3, 2, 2, 3, true, true);
}

TEST_F(RecurrentLayerTest, LSTMGradient) {
  CheckRecurrentGradients("LSTM", 3, 2, 3, 2, false, false);
  CheckRecurrentGradients("LSTM", 1, 2, 2, 3, false, false);
}

TEST_F(RecurrentLayerTest, LSTMGradientStaticInputAndExposedState) {
  CheckRecurrentGradients("LSTM", 3, 2, 2, 2, true, false);
  CheckRecurrentGradients("LSTM", 3, 2, 2, 2, true, true);
}

TEST_F(RecurrentLayerTest, LSTMUnitForwardAndGradient) {
  const int N = 2, H = 2;
  Blob c_prev(std::vector<int>{1, N, H}), gates(std::vector<int>{1, N, 4 * H});
  Blob cont(std::vector<int>{1, N}), c, h;
  FillUniform(&c_prev, -1.f, 1.f);
  FillUniform(&gates, -1.f, 1.f);
  SetValues(&cont, {1.f, 0.f});
  auto layer = LayerRegistry::Create(
      ParseText<LayerParameter>("name: 'unit' type: 'LSTMUnit'"));
  std::vector<Blob*> bottom = {&c_prev, &gates, &cont}, top = {&c, &h};
  layer->SetUp(bottom, top);
  layer->Forward(bottom, top);
  const float* a = gates.cpu_data();
  for (int n = 0; n < N; ++n) {
    for (int d = 0; d < H; ++d) {
      const float* an = a + n * 4 * H;
      const float i = Sigmoid(an[d]), f = Sigmoid(an[H + d]);
      const float o = Sigmoid(an[2 * H + d]), g = std::tanh(an[3 * H + d]);
      const float ct =
          cont.cpu_data()[n] * f * c_prev.cpu_data()[n * H + d] + i * g;
      EXPECT_NEAR(ct, c.cpu_data()[n * H + d], 1e-6);
      EXPECT_NEAR(o * std::tanh(ct), h.cpu_data()[n * H + d], 1e-6);
    }
  }
  GradientChecker checker(1e-2f, 1e-3f);
  checker.CheckGradientExhaustive(layer.get(), bottom, top, 0);
  checker.CheckGradientExhaustive(layer.get(), bottom, top, 1);
}

TEST_F(RecurrentLayerTest, UserErrors) {
  Blob x(std::vector<int>{3, 2, 4}), cont(std::vector<int>{3, 1}), top;
  auto layer = LayerRegistry::Create(RecurrentParam("LSTM", 2));
  try {
    layer->SetUp({&x, &cont}, {&top});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cont"), std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("3 x 1"), std::string::npos)
        << e.what();
  }
  Blob good_cont(std::vector<int>{3, 2});
  auto no_output = LayerRegistry::Create(RecurrentParam("RNN", 0));
  EXPECT_THROW(no_output->SetUp({&x, &good_cont}, {&top}), Error);

  // Weights of the wrong shape from a model file.
  LayerParameter param = RecurrentParam("RNN", 2);
  for (const std::vector<int>& shape :
       std::vector<std::vector<int>>{{2, 4}, {2}, {2, 3}, {2, 2}, {2}}) {
    Blob b(shape);
    b.ToProto(param.add_blobs());
  }
  auto loaded = LayerRegistry::Create(param);
  try {
    loaded->SetUp({&x, &good_cont}, {&top});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("W_hh"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace crema
