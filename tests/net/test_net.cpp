// Net construction and execution: filtering by NetState, Split insertion,
// in-place wiring, parameter sharing, loss weights, backward pruning,
// weight copying and ToProto round trips, and the errors users see.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>

#include "crema/io/proto_io.hpp"
#include "crema/net.hpp"
#include "support/test_util.hpp"

namespace crema {
namespace {

using testing::ParseText;

std::vector<std::string> LayerTypes(const Net& net) {
  std::vector<std::string> types;
  for (const auto& layer : net.layers()) types.push_back(layer->layer_param().type());
  return types;
}

const char* kStagedNet = R"(
  name: "staged"
  layer { name: "data" type: "Input" top: "data"
          input_param { shape { dim: 2 dim: 3 } } }
  layer { name: "train_only" type: "ReLU" bottom: "data" top: "a"
          include { phase: TRAIN } }
  layer { name: "test_only" type: "ReLU" bottom: "data" top: "b"
          include { phase: TEST } }
  layer { name: "deploy_stage" type: "ReLU" bottom: "data" top: "c"
          include { stage: "deploy" } }
  layer { name: "not_deploy" type: "ReLU" bottom: "data" top: "d"
          include { not_stage: "deploy" } }
  layer { name: "level_two" type: "ReLU" bottom: "data" top: "e"
          include { min_level: 2 } }
  layer { name: "excluded_in_test" type: "ReLU" bottom: "data" top: "f"
          exclude { phase: TEST } }
)";

NetParameter WithState(const char* text, Phase phase, int level,
                       std::vector<std::string> stages) {
  NetParameter param = ParseText<NetParameter>(text);
  param.mutable_state()->set_phase(phase);
  param.mutable_state()->set_level(level);
  for (const auto& s : stages) param.mutable_state()->add_stage(s);
  return param;
}

TEST(NetTest, FiltersLayersByPhaseStageAndLevel) {
  Net train(WithState(kStagedNet, TRAIN, 0, {}));
  EXPECT_TRUE(train.has_layer("train_only"));
  EXPECT_FALSE(train.has_layer("test_only"));
  EXPECT_FALSE(train.has_layer("deploy_stage"));
  EXPECT_TRUE(train.has_layer("not_deploy"));
  EXPECT_FALSE(train.has_layer("level_two"));
  EXPECT_TRUE(train.has_layer("excluded_in_test"));

  Net test(WithState(kStagedNet, TEST, 2, {"deploy"}));
  EXPECT_FALSE(test.has_layer("train_only"));
  EXPECT_TRUE(test.has_layer("test_only"));
  EXPECT_TRUE(test.has_layer("deploy_stage"));
  EXPECT_FALSE(test.has_layer("not_deploy"));
  EXPECT_TRUE(test.has_layer("level_two"));
  EXPECT_FALSE(test.has_layer("excluded_in_test"));
  EXPECT_EQ(TEST, test.phase());
  // Each layer inherits the net's phase.
  EXPECT_EQ(TEST, test.layer_by_name("test_only")->phase());
}

TEST(NetTest, StateRuleLevelsAndStages) {
  NetState state;
  state.set_phase(TRAIN);
  state.set_level(3);
  state.add_stage("a");
  NetStateRule rule;
  rule.set_max_level(2);
  EXPECT_FALSE(Net::StateMeetsRule(state, rule, "x"));
  rule.set_max_level(3);
  EXPECT_TRUE(Net::StateMeetsRule(state, rule, "x"));
  rule.add_stage("a");
  rule.add_stage("b");
  EXPECT_FALSE(Net::StateMeetsRule(state, rule, "x"));  // needs both stages
  state.add_stage("b");
  EXPECT_TRUE(Net::StateMeetsRule(state, rule, "x"));
}

TEST(NetTest, IncludeAndExcludeTogetherIsAnError) {
  auto param = ParseText<NetParameter>(R"(
    layer { name: "x" type: "Input" top: "x" input_param { shape { dim: 1 } }
            include { phase: TRAIN } exclude { phase: TEST } })");
  try {
    Net net(param);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'x'"), std::string::npos) << e.what();
  }
}

const char* kSplitNet = R"(
  name: "split"
  layer { name: "data" type: "Input" top: "data"
          input_param { shape { dim: 2 dim: 3 } } }
  layer { name: "r1" type: "ReLU" bottom: "data" top: "r1" }
  layer { name: "r2" type: "Sigmoid" bottom: "data" top: "r2" }
)";

TEST(NetTest, PassRangesOutsideTheNetAreErrors) {
  Net net(ParseText<NetParameter>(kSplitNet));
  const int n = net.num_layers();
  EXPECT_THROW(net.ForwardFromTo(-1, 0), Error);
  EXPECT_THROW(net.ForwardFromTo(0, n), Error);
  EXPECT_THROW(net.BackwardFromTo(n, 0), Error);
  EXPECT_THROW(net.BackwardFromTo(0, -1), Error);
  EXPECT_NO_THROW(net.ForwardFromTo(0, n - 1));
}

TEST(NetTest, InsertsSplitWhereOneTopFeedsTwoBottoms) {
  Net net(ParseText<NetParameter>(kSplitNet));
  ASSERT_TRUE(net.has_layer("data_data_0_split"));
  auto split = net.layer_by_name("data_data_0_split");
  EXPECT_STREQ("Split", split->type());
  EXPECT_TRUE(net.has_blob("data_data_0_split_0"));
  EXPECT_TRUE(net.has_blob("data_data_0_split_1"));
  EXPECT_EQ(std::vector<std::string>({"Input", "Split", "ReLU", "Sigmoid"}),
            LayerTypes(net));
  // Both consumers see the input's values.
  float* data = net.blob_by_name("data")->mutable_cpu_data();
  for (int i = 0; i < 6; ++i) data[i] = i - 2.5f;
  net.Forward();
  const float* r1 = net.blob_by_name("r1")->cpu_data();
  const float* r2 = net.blob_by_name("r2")->cpu_data();
  for (int i = 0; i < 6; ++i) {
    EXPECT_FLOAT_EQ(std::max(0.f, i - 2.5f), r1[i]);
    EXPECT_NEAR(1.f / (1.f + std::exp(-(i - 2.5f))), r2[i], 1e-6);
  }
  // Two outputs: r1 and r2, not the consumed input.
  EXPECT_EQ(2, net.num_outputs());
}

TEST(NetTest, InPlaceLayerWritesItsBottomBlob) {
  Net net(ParseText<NetParameter>(R"(
    layer { name: "data" type: "Input" top: "data"
            input_param { shape { dim: 4 } } }
    layer { name: "relu" type: "ReLU" bottom: "data" top: "data" })"));
  EXPECT_EQ(1u, net.blobs().size());
  EXPECT_EQ(net.bottom_vecs()[1][0], net.top_vecs()[1][0]);
  float* data = net.blob_by_name("data")->mutable_cpu_data();
  data[0] = -1; data[1] = 2; data[2] = -3; data[3] = 4;
  net.Forward();
  const float* out = net.blob_by_name("data")->cpu_data();
  EXPECT_EQ(0, out[0]);
  EXPECT_EQ(2, out[1]);
  EXPECT_EQ(0, out[2]);
  EXPECT_EQ(4, out[3]);
}

// Two InnerProduct layers share weights "w" (and biases "b"); a weighted
// top makes each output element count once in the loss.
const char* kSharedNet = R"(
  name: "shared"
  force_backward: true
  layer { name: "data" type: "Input" top: "data"
          input_param { shape { dim: 2 dim: 3 } } }
  layer { name: "ip1" type: "InnerProduct" bottom: "data" top: "ip1"
          param { name: "w" } param { name: "b" }
          inner_product_param { num_output: 4
            weight_filler { type: "gaussian" std: 1 }
            bias_filler { type: "gaussian" std: 1 } } }
  layer { name: "ip2" type: "InnerProduct" bottom: "data" top: "ip2"
          param { name: "w" } param { name: "b" }
          inner_product_param { num_output: 4
            weight_filler { type: "gaussian" std: 1 }
            bias_filler { type: "gaussian" std: 1 } } }
  layer { name: "sum" type: "Eltwise" bottom: "ip1" bottom: "ip2" top: "sum"
          loss_weight: 1 }
)";

TEST(NetTest, SharedParametersAreOneBlobAndDiffsAccumulate) {
  Net net(ParseText<NetParameter>(kSharedNet));
  EXPECT_EQ(4u, net.params().size());
  EXPECT_EQ(2u, net.learnable_params().size());
  auto ip1 = net.layer_by_name("ip1");
  auto ip2 = net.layer_by_name("ip2");
  EXPECT_EQ(ip1->blobs()[0]->cpu_data(), ip2->blobs()[0]->cpu_data());
  EXPECT_EQ(ip1->blobs()[0]->cpu_diff(), ip2->blobs()[0]->cpu_diff());
  EXPECT_EQ(-1, net.param_info(0).owner);
  EXPECT_EQ(0, net.param_info(2).owner);

  Blob* data = net.blob_by_name("data").get();
  testing::FillGaussian(data);
  net.ClearParamDiffs();
  float loss;
  net.Forward(&loss);
  net.Backward();
  // loss = sum over both layers of (W x + b): dL/dW[o][i] = 2 * sum_n x[n][i].
  const float* x = data->cpu_data();
  const float* wdiff = ip1->blobs()[0]->cpu_diff();
  const float* bdiff = ip1->blobs()[1]->cpu_diff();
  for (int o = 0; o < 4; ++o) {
    for (int i = 0; i < 3; ++i) {
      EXPECT_NEAR(2 * (x[i] + x[3 + i]), wdiff[o * 3 + i], 1e-5);
    }
    EXPECT_NEAR(2 * 2, bdiff[o], 1e-5);
  }
  // The loss is the sum of the weighted top.
  const Blob& sum = *net.blob_by_name("sum");
  float expected = 0;
  for (int i = 0; i < sum.count(); ++i) expected += sum.cpu_data()[i];
  EXPECT_NEAR(expected, loss, 1e-4);
}

TEST(NetTest, SharedParameterShapeMismatchNamesBothLayers) {
  std::string text = kSharedNet;
  text.replace(text.rfind("num_output: 4"), 13, "num_output: 5");
  try {
    Net net(ParseText<NetParameter>(text));
    FAIL() << "expected an error";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("ip1"), std::string::npos) << what;
    EXPECT_NE(what.find("ip2"), std::string::npos) << what;
    EXPECT_NE(what.find("4 x 3"), std::string::npos) << what;
    EXPECT_NE(what.find("5 x 3"), std::string::npos) << what;
  }
}

TEST(NetTest, LossWeightScalesTheLoss) {
  Net net(ParseText<NetParameter>(R"(
    layer { name: "data" type: "Input" top: "data"
            input_param { shape { dim: 3 } } }
    layer { name: "relu" type: "ReLU" bottom: "data" top: "out" loss_weight: 2.5 })"));
  float* data = net.blob_by_name("data")->mutable_cpu_data();
  data[0] = 1; data[1] = -2; data[2] = 3;
  float loss;
  net.Forward(&loss);
  EXPECT_FLOAT_EQ(2.5f * 4, loss);
  EXPECT_FLOAT_EQ(2.5f, net.blob_loss_weights()[1]);
}

const char* kLossNet = R"(
  name: "loss"
  layer { name: "data" type: "Input" top: "data" top: "label"
          input_param { shape { dim: 4 dim: 5 } shape { dim: 4 } } }
  layer { name: "frozen" type: "InnerProduct" bottom: "data" top: "frozen"
          param { lr_mult: 0 } param { lr_mult: 0 }
          inner_product_param { num_output: 6 weight_filler { type: "xavier" } } }
  layer { name: "ip" type: "InnerProduct" bottom: "frozen" top: "ip"
          inner_product_param { num_output: 3 weight_filler { type: "xavier" } } }
  layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip" bottom: "label" top: "loss" }
  layer { name: "unused" type: "ReLU" bottom: "frozen" top: "unused_out" }
)";

TEST(NetTest, BackwardIsPrunedWhereNoGradientIsNeeded) {
  // frozen feeds both ip and unused, so a Split sits after it.
  Net net(ParseText<NetParameter>(kLossNet));
  auto need = [&net](const std::string& name) {
    const auto& names = net.layer_names();
    const int i = std::find(names.begin(), names.end(), name) - names.begin();
    return static_cast<bool>(net.layer_need_backward()[i]);
  };
  EXPECT_FALSE(need("data"));
  EXPECT_FALSE(need("frozen"));  // lr_mult 0 and nothing below learns
  EXPECT_TRUE(need("ip"));
  EXPECT_TRUE(need("loss"));
  EXPECT_FALSE(need("unused"));  // does not lead to a loss
  EXPECT_FALSE(net.layer_by_name("frozen")->param_propagate_down(0));
}

TEST(NetTest, ForceBackwardComputesInputGradientsButNotLabels) {
  NetParameter param = ParseText<NetParameter>(kLossNet);
  param.set_force_backward(true);
  Net net(param);
  for (bool need : net.layer_need_backward()) EXPECT_TRUE(need);
  const auto& names = net.layer_names();
  const int loss_id = std::find(names.begin(), names.end(), "loss") - names.begin();
  EXPECT_TRUE(net.bottom_need_backward()[loss_id][0]);
  EXPECT_FALSE(net.bottom_need_backward()[loss_id][1]);  // the label
  testing::FillGaussian(net.blob_by_name("data").get());
  float* label = net.blob_by_name("label")->mutable_cpu_data();
  for (int i = 0; i < 4; ++i) label[i] = i % 3;
  net.Forward();
  net.Backward();
  EXPECT_GT(net.blob_by_name("data")->asum_diff(), 0.f);
}

TEST(NetTest, ToProtoRoundTripGivesIdenticalOutputs) {
  NetParameter param = ParseText<NetParameter>(kLossNet);
  Net net(param);
  testing::FillGaussian(net.blob_by_name("data").get());
  float* label = net.blob_by_name("label")->mutable_cpu_data();
  for (int i = 0; i < 4; ++i) label[i] = (i + 1) % 3;
  float loss;
  net.Forward(&loss);

  NetParameter saved;
  net.ToProto(&saved);
  const std::string path = ::testing::TempDir() + "/roundtrip.caffemodel";
  WriteProtoToBinaryFile(saved, path);
  NetParameter loaded;
  ReadProtoFromBinaryFile(path, &loaded);
  Net copy(loaded);
  copy.blob_by_name("data")->CopyFrom(*net.blob_by_name("data"));
  copy.blob_by_name("label")->CopyFrom(*net.blob_by_name("label"));
  float copy_loss;
  copy.Forward(&copy_loss);
  EXPECT_EQ(loss, copy_loss);
  const Blob& a = *net.blob_by_name("ip");
  const Blob& b = *copy.blob_by_name("ip");
  for (int i = 0; i < a.count(); ++i) EXPECT_EQ(a.cpu_data()[i], b.cpu_data()[i]);
}

TEST(NetTest, CopyTrainedLayersByName) {
  Net source(ParseText<NetParameter>(kLossNet));
  Net target(ParseText<NetParameter>(kLossNet));
  NetParameter weights;
  source.ToProto(&weights);
  // A layer the target does not have is ignored.
  LayerParameter* extra = weights.add_layer();
  extra->set_name("not_in_target");
  extra->set_type("InnerProduct");
  target.CopyTrainedLayersFrom(weights);
  for (const char* name : {"frozen", "ip"}) {
    const auto& s = source.layer_by_name(name)->blobs();
    const auto& t = target.layer_by_name(name)->blobs();
    ASSERT_EQ(s.size(), t.size());
    for (size_t j = 0; j < s.size(); ++j) {
      for (int i = 0; i < s[j]->count(); ++i) {
        ASSERT_EQ(s[j]->cpu_data()[i], t[j]->cpu_data()[i]);
      }
    }
  }
}

TEST(NetTest, CopyTrainedLayersShapeMismatchNamesLayerBlobAndShapes) {
  Net source(ParseText<NetParameter>(kLossNet));
  std::string text = kLossNet;
  text.replace(text.find("num_output: 3"), 13, "num_output: 7");
  Net target(ParseText<NetParameter>(text));
  NetParameter weights;
  source.ToProto(&weights);
  try {
    target.CopyTrainedLayersFrom(weights);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("'ip'"), std::string::npos) << what;
    EXPECT_NE(what.find("blob 0"), std::string::npos) << what;
    EXPECT_NE(what.find("3 x 6"), std::string::npos) << what;
    EXPECT_NE(what.find("7 x 6"), std::string::npos) << what;
  }
}

int LayerIndex(const Net& net, const std::string& name) {
  const auto& names = net.layer_names();
  return static_cast<int>(std::find(names.begin(), names.end(), name) - names.begin());
}

// ip2 learns but does not pass a gradient down to h: ip1 gets no backward.
const char* kPropagateDownNet = R"(
  name: "propagate_down"
  layer { name: "data" type: "Input" top: "data"
          input_param { shape { dim: 2 dim: 3 } } }
  layer { name: "ip1" type: "InnerProduct" bottom: "data" top: "h"
          inner_product_param { num_output: 4
            weight_filler { type: "gaussian" std: 1 }
            bias_filler { type: "gaussian" std: 1 } } }
  layer { name: "ip2" type: "InnerProduct" bottom: "h" top: "out"
          propagate_down: false loss_weight: 1
          inner_product_param { num_output: 2
            weight_filler { type: "gaussian" std: 1 }
            bias_filler { type: "gaussian" std: 1 } } }
)";

TEST(NetTest, PropagateDownFalseStopsTheGradientAtThatBottom) {
  Net net(ParseText<NetParameter>(kPropagateDownNet));
  const int ip1 = LayerIndex(net, "ip1");
  const int ip2 = LayerIndex(net, "ip2");
  EXPECT_TRUE(net.layer_need_backward()[ip2]);   // its parameters learn
  EXPECT_FALSE(net.bottom_need_backward()[ip2][0]);
  EXPECT_FALSE(net.layer_need_backward()[ip1]);  // nothing reaches it

  testing::FillGaussian(net.blob_by_name("data").get());
  net.ClearParamDiffs();
  net.Forward();
  Blob& h = *net.blob_by_name("h");
  for (int i = 0; i < h.count(); ++i) h.mutable_cpu_diff()[i] = 7.f;  // a marker
  net.Backward();
  for (int i = 0; i < h.count(); ++i) ASSERT_EQ(7.f, h.cpu_diff()[i]) << i;
  EXPECT_EQ(0.f, net.layer_by_name("ip1")->blobs()[0]->asum_diff());
  EXPECT_EQ(0.f, net.layer_by_name("ip1")->blobs()[1]->asum_diff());
  // ip2's own gradients are still computed: dL/db = batch size.
  EXPECT_GT(net.layer_by_name("ip2")->blobs()[0]->asum_diff(), 0.f);
  const float* bdiff = net.layer_by_name("ip2")->blobs()[1]->cpu_diff();
  EXPECT_NEAR(2.f, bdiff[0], 1e-5);
  EXPECT_NEAR(2.f, bdiff[1], 1e-5);

  // Control: the same net without propagate_down does reach ip1.
  std::string text = kPropagateDownNet;
  text.erase(text.find("propagate_down: false"), std::string("propagate_down: false").size());
  Net full(ParseText<NetParameter>(text));
  EXPECT_TRUE(full.layer_need_backward()[LayerIndex(full, "ip1")]);
}

// data -> relu -> a -> sigmoid -> b (loss), with input gradients.
const char* kChainNet = R"(
  name: "chain"
  force_backward: true
  layer { name: "data" type: "Input" top: "data"
          input_param { shape { dim: 4 } } }
  layer { name: "relu" type: "ReLU" bottom: "data" top: "a" }
  layer { name: "sig" type: "Sigmoid" bottom: "a" top: "b" loss_weight: 1 }
)";

float Sigmoid(float x) { return 1.f / (1.f + std::exp(-x)); }

TEST(NetTest, ForwardFromToRunsOnlyTheGivenLayers) {
  Net net(ParseText<NetParameter>(kChainNet));
  ASSERT_EQ(3, net.num_layers());
  Blob& data = *net.blob_by_name("data");
  Blob& a = *net.blob_by_name("a");
  Blob& b = *net.blob_by_name("b");
  const float x[4] = {-1, 2, -3, 4};
  for (int i = 0; i < 4; ++i) data.mutable_cpu_data()[i] = x[i];
  for (int i = 0; i < 4; ++i) b.mutable_cpu_data()[i] = -5.f;  // a marker

  // Layers 0..1: a is computed, the loss layer does not run.
  EXPECT_EQ(0.f, net.ForwardTo(1));
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(std::max(0.f, x[i]), a.cpu_data()[i]) << i;
    EXPECT_EQ(-5.f, b.cpu_data()[i]) << i;
  }
  // Layer 2 alone, from an a the ReLU could not have produced: the ReLU
  // must not run again.
  const float new_a[4] = {-2, 0.5f, 1, -0.25f};
  for (int i = 0; i < 4; ++i) a.mutable_cpu_data()[i] = new_a[i];
  const float loss = net.ForwardFrom(2);
  float expected_loss = 0;
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(new_a[i], a.cpu_data()[i]) << i;
    EXPECT_NEAR(Sigmoid(new_a[i]), b.cpu_data()[i], 1e-6) << i;
    expected_loss += Sigmoid(new_a[i]);
  }
  EXPECT_NEAR(expected_loss, loss, 1e-5);
  EXPECT_NEAR(expected_loss, net.ForwardFromTo(2, 2), 1e-5);
}

TEST(NetTest, BackwardFromToRunsOnlyTheGivenLayers) {
  Net net(ParseText<NetParameter>(kChainNet));
  Blob& data = *net.blob_by_name("data");
  Blob& a = *net.blob_by_name("a");
  const float x[4] = {-1, 2, -3, 4};
  for (int i = 0; i < 4; ++i) data.mutable_cpu_data()[i] = x[i];
  net.Forward();
  for (int i = 0; i < 4; ++i) data.mutable_cpu_diff()[i] = 9.f;  // a marker

  // The loss layer alone: a's diff is sigmoid'(a), data's is untouched.
  net.BackwardFromTo(2, 2);
  float a_diff[4];
  for (int i = 0; i < 4; ++i) {
    const float s = Sigmoid(std::max(0.f, x[i]));
    a_diff[i] = s * (1 - s);
    EXPECT_NEAR(a_diff[i], a.cpu_diff()[i], 1e-6) << i;
    EXPECT_EQ(9.f, data.cpu_diff()[i]) << i;
  }
  // Then the ReLU alone passes a's diff where x > 0.
  net.BackwardTo(1);  // layers 2 and 1
  for (int i = 0; i < 4; ++i) {
    EXPECT_NEAR(x[i] > 0 ? a_diff[i] : 0.f, data.cpu_diff()[i], 1e-6) << i;
  }
  for (int i = 0; i < 4; ++i) data.mutable_cpu_diff()[i] = 9.f;
  net.BackwardFrom(1);  // layers 1 and 0: from a's diff as it stands
  for (int i = 0; i < 4; ++i) {
    EXPECT_NEAR(x[i] > 0 ? a_diff[i] : 0.f, data.cpu_diff()[i], 1e-6) << i;
  }
}

// InnerProduct into a EuclideanLoss whose loss_weight is `weight`.
std::string WeightedLossNet(float weight) {
  return R"(
    name: "weighted"
    force_backward: true
    layer { name: "data" type: "Input" top: "data" top: "target"
            input_param { shape { dim: 3 dim: 4 } shape { dim: 3 dim: 2 } } }
    layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip"
            inner_product_param { num_output: 2
              weight_filler { type: "gaussian" std: 1 }
              bias_filler { type: "gaussian" std: 1 } } }
    layer { name: "loss" type: "EuclideanLoss" bottom: "ip" bottom: "target" top: "loss"
            loss_weight: )" + std::to_string(weight) + " }";
}

TEST(NetTest, LossWeightScalesTheGradients) {
  Net one(ParseText<NetParameter>(WeightedLossNet(1.f)));
  Net three(ParseText<NetParameter>(WeightedLossNet(3.f)));
  NetParameter weights;
  one.ToProto(&weights);
  three.CopyTrainedLayersFrom(weights);
  testing::FillGaussian(one.blob_by_name("data").get());
  testing::FillGaussian(one.blob_by_name("target").get());
  three.blob_by_name("data")->CopyFrom(*one.blob_by_name("data"));
  three.blob_by_name("target")->CopyFrom(*one.blob_by_name("target"));
  float loss_one, loss_three;
  for (Net* net : {&one, &three}) net->ClearParamDiffs();
  one.Forward(&loss_one);
  one.Backward();
  three.Forward(&loss_three);
  three.Backward();
  EXPECT_GT(loss_one, 0.f);
  EXPECT_NEAR(3 * loss_one, loss_three, 1e-5 * loss_three);
  auto expect_scaled = [](const float* base, const float* scaled, int n, const char* what) {
    float largest = 0;
    for (int i = 0; i < n; ++i) {
      EXPECT_NEAR(3 * base[i], scaled[i], 1e-5f * (1 + std::fabs(scaled[i]))) << what << " " << i;
      largest = std::max(largest, std::fabs(base[i]));
    }
    EXPECT_GT(largest, 0.f) << what;
  };
  for (int p = 0; p < 2; ++p) {
    const Blob& base = *one.layer_by_name("ip")->blobs()[p];
    const Blob& scaled = *three.layer_by_name("ip")->blobs()[p];
    expect_scaled(base.cpu_diff(), scaled.cpu_diff(), base.count(), p ? "bias" : "weight");
  }
  const Blob& data_one = *one.blob_by_name("data");
  expect_scaled(data_one.cpu_diff(), three.blob_by_name("data")->cpu_diff(), data_one.count(),
                "data");
}

// ---- errors a user sees ----

std::string ErrorOf(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(NetErrorTest, SyntaxErrorNamesFileLineAndColumn) {
  const std::string path = ::testing::TempDir() + "/broken.prototxt";
  std::ofstream(path) << "name: \"x\"\nlayer {\n  name: \"a\"\n  type: \"ReLU\n}\n";
  const std::string what = ErrorOf([&] { Net net(path, TRAIN); });
  EXPECT_NE(what.find(path + ":4:14:"), std::string::npos) << what;
  const std::string path2 = ::testing::TempDir() + "/unknown_field.prototxt";
  std::ofstream(path2) << "layer {\n  name: \"a\"\n  colour: 3\n}\n";
  const std::string what2 = ErrorOf([&] { Net net(path2, TRAIN); });
  EXPECT_NE(what2.find(path2 + ":3:9:"), std::string::npos) << what2;
  EXPECT_NE(what2.find("colour"), std::string::npos) << what2;
}

TEST(NetErrorTest, MissingFileIsNamed) {
  const std::string what = ErrorOf([] { Net net("/nonexistent/net.prototxt", TEST); });
  EXPECT_NE(what.find("/nonexistent/net.prototxt"), std::string::npos) << what;
}

TEST(NetErrorTest, UnknownLayerTypeListsKnownTypes) {
  const std::string what = ErrorOf([] {
    Net net(ParseText<NetParameter>(
        "layer { name: \"c\" type: \"Convolutoin\" top: \"c\" }"));
  });
  EXPECT_NE(what.find("Convolutoin"), std::string::npos) << what;
  EXPECT_NE(what.find("'c'"), std::string::npos) << what;
  EXPECT_NE(what.find("Convolution"), std::string::npos) << what;  // in the list
  EXPECT_NE(what.find("InnerProduct"), std::string::npos) << what;
}

TEST(NetErrorTest, BottomThatNoLayerProducesIsNamed) {
  const std::string what = ErrorOf([] {
    Net net(ParseText<NetParameter>(R"(
      layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 1 } } }
      layer { name: "relu" type: "ReLU" bottom: "dta" top: "out" })"));
  });
  EXPECT_NE(what.find("'relu'"), std::string::npos) << what;
  EXPECT_NE(what.find("'dta'"), std::string::npos) << what;
}

TEST(NetErrorTest, ShapeMismatchNamesLayerAndShapes) {
  // The input layers are named apart from their blobs: the message must name
  // the blobs the failing layer reads.
  const std::string what = ErrorOf([] {
    Net net(ParseText<NetParameter>(R"(
      layer { name: "in_a" type: "Input" top: "a" input_param { shape { dim: 2 dim: 3 } } }
      layer { name: "in_b" type: "Input" top: "b" input_param { shape { dim: 2 dim: 4 } } }
      layer { name: "add" type: "Eltwise" bottom: "a" bottom: "b" top: "c" })"));
  });
  EXPECT_NE(what.find("'add'"), std::string::npos) << what;
  EXPECT_NE(what.find("Eltwise"), std::string::npos) << what;
  EXPECT_NE(what.find("'a'"), std::string::npos) << what;
  EXPECT_NE(what.find("'b'"), std::string::npos) << what;
  EXPECT_NE(what.find("bottoms: 'a' 2 x 3 (6), 'b' 2 x 4 (8)"), std::string::npos) << what;
  EXPECT_EQ(what.find('\n'), std::string::npos) << what;
}

TEST(NetErrorTest, SetupErrorOfALayerWithoutBottomsHasNoBottomList) {
  const std::string what = ErrorOf([] {
    Net net(ParseText<NetParameter>(R"(
      layer { name: "in" type: "Input" top: "a" top: "b"
              input_param { shape { dim: 2 } shape { dim: 3 } shape { dim: 4 } } })"));
  });
  EXPECT_NE(what.find("'in'"), std::string::npos) << what;
  EXPECT_EQ(what.find("bottoms:"), std::string::npos) << what;
}

TEST(NetErrorTest, DuplicateTopIsAnError) {
  const std::string what = ErrorOf([] {
    Net net(ParseText<NetParameter>(R"(
      layer { name: "a" type: "Input" top: "x" input_param { shape { dim: 1 } } }
      layer { name: "b" type: "Input" top: "x" input_param { shape { dim: 1 } } })"));
  });
  EXPECT_NE(what.find("'b'"), std::string::npos) << what;
  EXPECT_NE(what.find("'x'"), std::string::npos) << what;
}

}  // namespace
}  // namespace crema
