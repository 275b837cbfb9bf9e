// Runs of DNNL layers pass their tensors along in oneDNN's blocked layouts
// (layout propagation). Every value anyone reads must still be Caffe's:
// the whole net against the reference engine, forward and backward, with
// blobs read between the passes and without, with padded channel blocks,
// blobs read by both a DNNL layer and a reference one, and in-place and
// out-of-place ReLUs.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "crema/layer_registry.hpp"
#include "crema/net.hpp"
#include "support/test_util.hpp"

namespace crema {
namespace {

using testing::ParseText;

bool HasDnnl() {
  const auto engines = LayerRegistry::Engines("Convolution");
  return std::find(engines.begin(), engines.end(), "DNNL") != engines.end();
}

int CountBad(const Blob& fast, const Blob& ref, bool diff, const std::string& what) {
  EXPECT_EQ(fast.shape(), ref.shape()) << what;
  const float* a = diff ? fast.cpu_diff() : fast.cpu_data();
  const float* b = diff ? ref.cpu_diff() : ref.cpu_data();
  int bad = 0;
  for (int i = 0; i < ref.count(); ++i) {
    if (!(std::fabs(a[i] - b[i]) <= 1e-4f * (std::fabs(b[i]) + 1.f)) && ++bad <= 3) {
      ADD_FAILURE() << what << (diff ? " diff[" : " data[") << i << "]: DNNL " << a[i]
                    << " vs reference " << b[i];
    }
  }
  return bad;
}

// conv1 (24 outputs: nChw16c pads them to 32) -> fused ReLU -> LRN (on nChw16c)
// -> MAX pool with Caffe's ceil rule -> conv2 (groups) -> out-of-place ReLU
// -> AVE pool -> split into a DNNL convolution and a reference Concat ->
// inner product.
const char* kNet = R"(
  name: "layouts" force_backward: true
  layer { name: "data" type: "Input" top: "data"
          input_param { shape { dim: 2 dim: 3 dim: 19 dim: 17 } } }
  layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
          convolution_param { num_output: 24 kernel_size: 3 pad: 1 stride: 1 engine: {engine}
                              weight_filler { type: "gaussian" std: 0.3 }
                              bias_filler { type: "gaussian" std: 0.3 } } }
  layer { name: "relu1" type: "ReLU" bottom: "conv1" top: "conv1"
          relu_param { engine: {engine} } }
  layer { name: "norm1" type: "LRN" bottom: "conv1" top: "norm1"
          lrn_param { local_size: 5 alpha: 0.1 beta: 0.75 engine: {engine} } }
  layer { name: "pool1" type: "Pooling" bottom: "norm1" top: "pool1"
          pooling_param { pool: MAX kernel_size: 3 stride: 2 engine: {engine} } }
  layer { name: "conv2" type: "Convolution" bottom: "pool1" top: "conv2"
          convolution_param { num_output: 32 kernel_size: 3 pad: 1 group: 2 engine: {engine}
                              weight_filler { type: "gaussian" std: 0.2 }
                              bias_filler { type: "gaussian" std: 0.2 } } }
  layer { name: "relu2" type: "ReLU" bottom: "conv2" top: "relu2"
          relu_param { engine: {engine} } }
  layer { name: "pool2" type: "Pooling" bottom: "relu2" top: "pool2"
          pooling_param { pool: AVE kernel_size: 2 stride: 2 engine: {engine} } }
  layer { name: "conv3" type: "Convolution" bottom: "pool2" top: "conv3"
          convolution_param { num_output: 16 kernel_size: 1 engine: {engine}
                              weight_filler { type: "gaussian" std: 0.2 } } }
  layer { name: "concat" type: "Concat" bottom: "pool2" bottom: "conv3" top: "concat" }
  layer { name: "ip" type: "InnerProduct" bottom: "concat" top: "ip"
          inner_product_param { num_output: 5 engine: {engine}
                                weight_filler { type: "gaussian" std: 0.1 } } }
)";

const char* kBlobs[] = {"conv1", "norm1", "pool1", "conv2", "relu2", "pool2", "conv3",
                        "concat", "ip"};

// Edits replace text before parsing (a frozen layer, say).
using Edits = std::vector<std::pair<std::string, std::string>>;

NetParameter NetOn(const std::string& engine, Phase phase = TRAIN, const Edits& edits = {}) {
  std::string text = kNet;
  for (size_t at; (at = text.find("{engine}")) != std::string::npos;) {
    text.replace(at, 8, engine);
  }
  for (const auto& [from, to] : edits) text.replace(text.find(from), from.size(), to);
  NetParameter param = ParseText<NetParameter>(text);
  param.mutable_state()->set_phase(phase);
  return param;
}

struct Pair {
  Net fast;
  Net ref;
  // keep_layouts: the DNNL net leaves blobs in its layouts after a pass
  // (as a training loop runs it) until CompareAll converts them.
  explicit Pair(Phase phase = TRAIN, const Edits& edits = {}, bool keep_layouts = true)
      : fast(NetOn("DNNL", phase, edits)), ref(NetOn("CAFFE", phase, edits)) {
    fast.set_plain_after_pass(!keep_layouts);
    NetParameter weights;
    ref.ToProto(&weights);
    fast.CopyTrainedLayersFrom(weights);
    testing::FillGaussian(ref.input_blobs()[0]);
    fast.input_blobs()[0]->CopyFrom(*ref.input_blobs()[0]);
  }
  void Backward() {
    Blob* out_ref = ref.blob_by_name("ip").get();
    rng_gaussian(out_ref->count(), 0.f, 1.f, out_ref->mutable_cpu_diff());
    fast.blob_by_name("ip")->CopyFrom(*out_ref, true);
    fast.ClearParamDiffs();
    ref.ClearParamDiffs();
    fast.Backward();
    ref.Backward();
  }
  int CompareAll(bool diffs) {
    fast.ToPlain();
    int bad = 0;
    for (const char* name : kBlobs) {
      bad += CountBad(*fast.blob_by_name(name), *ref.blob_by_name(name), false, name);
      if (diffs) {
        bad += CountBad(*fast.blob_by_name(name), *ref.blob_by_name(name), true, name);
      }
    }
    if (diffs) {
      bad += CountBad(*fast.input_blobs()[0], *ref.input_blobs()[0], true, "data");
      for (size_t p = 0; p < ref.learnable_params().size(); ++p) {
        bad += CountBad(*fast.learnable_params()[p], *ref.learnable_params()[p], true,
                        "param " + std::to_string(p));
      }
    }
    return bad;
  }
};

// Weights that stay put (inference, frozen layers) are kept in the
// convolution's layout after the first pass instead of being reordered on
// every pass; whoever reads or writes them still sees plain values.
const Blob& Weights(Net& net, const char* layer) {
  const auto& names = net.layer_names();
  const size_t i = std::find(names.begin(), names.end(), layer) - names.begin();
  return *net.layers()[i]->blobs()[0];
}

TEST(DnnlLayout, BlockedTensorsPassBetweenDnnlLayers) {
  if (!HasDnnl()) GTEST_SKIP() << "crema was built without oneDNN";
  Pair nets;
  nets.fast.Forward();
  nets.ref.Forward();
  // LRN runs on conv1's nChw16c and the MAX pool after it keeps that
  // layout: neither result is converted to plain.
  const auto engine_only = SyncedMemory::Holds::kEngine;
  EXPECT_EQ(engine_only, nets.fast.blob_by_name("norm1")->data()->holds());
  EXPECT_EQ(engine_only, nets.fast.blob_by_name("pool1")->data()->holds());
  // Concat is a reference layer: pool2 and conv3 were converted for it.
  EXPECT_NE(engine_only, nets.fast.blob_by_name("pool2")->data()->holds());
  EXPECT_NE(engine_only, nets.fast.blob_by_name("conv3")->data()->holds());
  EXPECT_EQ(0, nets.CompareAll(false));
  EXPECT_NE(engine_only, nets.fast.blob_by_name("pool1")->data()->holds());
}

// Pointers to plain values stay valid across passes, whatever layouts the
// engine used inside them: a view taken before a pass reads the new values
// after it, activations and weights the engine adopted alike. Three ways to
// get there: the net converts everything after each pass (the default);
// the caller converts (Net::ToPlain); or the caller marks the memory it
// keeps views of (keep_plain) and the net converts just that.
enum class Views { kNetConvertsAll, kCallerConverts, kMarked };

int CountDifferent(const float* a, const Blob& ref, float tolerance) {
  int bad = 0;
  for (int i = 0; i < ref.count(); ++i) bad += !(std::fabs(a[i] - ref.cpu_data()[i]) <= tolerance);
  return bad;
}

TEST(DnnlLayout, PlainPointersStayValidAcrossPasses) {
  if (!HasDnnl()) GTEST_SKIP() << "crema was built without oneDNN";
  for (Views views : {Views::kNetConvertsAll, Views::kCallerConverts, Views::kMarked}) {
    Pair nets(TEST, {{"force_backward: true", "force_backward: false"}},
              views != Views::kNetConvertsAll);
    Blob& norm1 = *nets.fast.blob_by_name("norm1");
    Blob& conv3 = *nets.fast.blob_by_name("conv3");
    const Blob& weights = Weights(nets.fast, "conv2");
    if (views == Views::kMarked) {
      for (const Blob* b : std::vector<const Blob*>{&norm1, &conv3, &weights}) {
        b->data()->set_keep_plain(true);
      }
    }
    const float* norm1_at = norm1.cpu_data();
    const float* conv3_at = conv3.cpu_data();
    const float* weights_at = weights.cpu_data();
    for (int pass = 0; pass < 2; ++pass) {
      testing::FillGaussian(nets.ref.input_blobs()[0]);
      nets.fast.input_blobs()[0]->CopyFrom(*nets.ref.input_blobs()[0]);
      nets.fast.Forward();
      nets.ref.Forward();
      if (views == Views::kMarked) {
        // Only the marked memory was converted; the adopted weights live
        // beside their plain values instead of in their place.
        EXPECT_EQ(SyncedMemory::Holds::kEngine, nets.fast.blob_by_name("pool1")->data()->holds());
        EXPECT_EQ(SyncedMemory::Holds::kBoth, weights.data()->holds());
      }
      if (views == Views::kCallerConverts) nets.fast.ToPlain();
      const int bad = CountDifferent(norm1_at, *nets.ref.blob_by_name("norm1"), 1e-4f) +
                      CountDifferent(conv3_at, *nets.ref.blob_by_name("conv3"), 1e-4f) +
                      CountDifferent(weights_at, Weights(nets.ref, "conv2"), 0.f);
      EXPECT_EQ(0, bad) << "pass " << pass << ", views " << static_cast<int>(views);
      EXPECT_EQ(norm1_at, norm1.cpu_data());
      EXPECT_EQ(conv3_at, conv3.cpu_data());
      EXPECT_EQ(weights_at, weights.cpu_data());
    }
  }
}

TEST(DnnlLayout, ForwardAndBackwardWithoutReadsBetween) {
  if (!HasDnnl()) GTEST_SKIP() << "crema was built without oneDNN";
  Pair nets;
  for (int pass = 0; pass < 3; ++pass) {  // primitives and layouts are reused
    nets.fast.Forward();
    nets.ref.Forward();
    nets.Backward();
    EXPECT_EQ(0, nets.CompareAll(true)) << "pass " << pass;
  }
}

TEST(DnnlLayout, BlobsReadBetweenForwardAndBackward) {
  if (!HasDnnl()) GTEST_SKIP() << "crema was built without oneDNN";
  Pair nets;
  for (int pass = 0; pass < 2; ++pass) {
    nets.fast.Forward();
    nets.ref.Forward();
    EXPECT_EQ(0, nets.CompareAll(false)) << "pass " << pass;  // converts all to plain
    nets.Backward();
    EXPECT_EQ(0, nets.CompareAll(true)) << "pass " << pass;
  }
}

TEST(DnnlLayout, InputChangedByTheUserBetweenPasses) {
  if (!HasDnnl()) GTEST_SKIP() << "crema was built without oneDNN";
  Pair nets(TRAIN, {}, /*keep_layouts=*/false);
  nets.fast.Forward();
  nets.ref.Forward();
  // Writing a blob the DNNL layers left blocked makes it plain again; the
  // next pass must see the new values.
  testing::FillGaussian(nets.ref.input_blobs()[0]);
  nets.fast.input_blobs()[0]->CopyFrom(*nets.ref.input_blobs()[0]);
  nets.fast.blob_by_name("norm1")->mutable_cpu_data()[0] = 5.f;
  nets.fast.Forward();
  nets.ref.Forward();
  nets.Backward();
  EXPECT_EQ(0, nets.CompareAll(true));
}

TEST(DnnlLayout, InferenceKeepsConvolutionWeightsInTheirLayout) {
  if (!HasDnnl()) GTEST_SKIP() << "crema was built without oneDNN";
  Pair nets(TEST, {{"force_backward: true", "force_backward: false"}});
  for (int pass = 0; pass < 2; ++pass) {
    nets.fast.Forward();
    nets.ref.Forward();
    EXPECT_NE(nullptr, Weights(nets.fast, "conv1").data()->layout()) << "pass " << pass;
    EXPECT_NE(nullptr, Weights(nets.fast, "conv2").data()->layout()) << "pass " << pass;
    EXPECT_EQ(0, nets.CompareAll(false)) << "pass " << pass;
  }
  // The user changes the weights: the next pass uses the new ones.
  for (Net* net : {&nets.fast, &nets.ref}) {
    Blob& w = *net->layers()[1]->blobs()[0];
    float* values = w.mutable_cpu_data();
    for (int i = 0; i < w.count(); i += 3) values[i] *= -2.f;
  }
  nets.fast.Forward();
  nets.ref.Forward();
  EXPECT_EQ(0, nets.CompareAll(false));
  // Saved weights are plain Caffe weights.
  NetParameter saved_fast, saved_ref;
  nets.fast.ToProto(&saved_fast);
  nets.ref.ToProto(&saved_ref);
  ASSERT_EQ(saved_ref.layer_size(), saved_fast.layer_size());
  for (int l = 0; l < saved_ref.layer_size(); ++l) {
    for (int b = 0; b < saved_ref.layer(l).blobs_size(); ++b) {
      const auto& r = saved_ref.layer(l).blobs(b);
      const auto& f = saved_fast.layer(l).blobs(b);
      ASSERT_EQ(r.data_size(), f.data_size());
      for (int i = 0; i < r.data_size(); ++i) {
        ASSERT_EQ(r.data(i), f.data(i)) << saved_ref.layer(l).name() << " blob " << b;
      }
    }
  }
}

// Weights loaded into a net whose engine holds its own form of them (right
// after a pass, nothing converted) replace that form.
TEST(DnnlLayout, WeightsLoadedAfterAPassReplaceTheEngineForm) {
  if (!HasDnnl()) GTEST_SKIP() << "crema was built without oneDNN";
  Pair nets(TEST, {{"force_backward: true", "force_backward: false"}});
  nets.fast.Forward();
  ASSERT_NE(nullptr, Weights(nets.fast, "conv1").data()->layout());
  Blob& w = *nets.ref.layers()[1]->blobs()[0];
  float* values = w.mutable_cpu_data();
  for (int i = 0; i < w.count(); i += 2) values[i] = -values[i];
  NetParameter changed;
  nets.ref.ToProto(&changed);
  nets.fast.CopyTrainedLayersFrom(changed);
  nets.fast.Forward();
  nets.ref.Forward();
  EXPECT_EQ(0, nets.CompareAll(false));
}

TEST(DnnlLayout, FrozenLayerKeepsItsWeightsWhileTheOthersLearn) {
  if (!HasDnnl()) GTEST_SKIP() << "crema was built without oneDNN";
  // conv1 learns nothing (lr_mult 0; force_backward would ask for its
  // gradients anyway): its weights stay in their layout.
  Pair nets(TRAIN, {{"force_backward: true", "force_backward: false"},
                    {"top: \"conv1\"", "top: \"conv1\" param { lr_mult: 0 } param { lr_mult: 0 }"},
                    {"top: \"ip\"", "top: \"ip\" loss_weight: 1"}});
  // Nothing below conv2 needs a gradient: conv1, LRN and the pool run
  // inference-only kernels; conv2 and above learn.
  for (int i = 1; i <= 4; ++i) ASSERT_FALSE(nets.fast.layer_need_backward()[i]) << i;
  ASSERT_EQ("conv2", nets.fast.layer_names()[5]);
  ASSERT_TRUE(nets.fast.layer_need_backward()[5]);
  for (int pass = 0; pass < 2; ++pass) {
    nets.fast.Forward();
    nets.ref.Forward();
    nets.Backward();
    EXPECT_NE(nullptr, Weights(nets.fast, "conv1").data()->layout());
    EXPECT_EQ(nullptr, Weights(nets.fast, "conv2").data()->layout());
    EXPECT_EQ(0, nets.CompareAll(true)) << "pass " << pass;
  }
}

TEST(DnnlLayout, TestNetSharingWeightsWithTheTrainNet) {
  if (!HasDnnl()) GTEST_SKIP() << "crema was built without oneDNN";
  // As during training: the test net shares the train net's weights and
  // leaves them in its layout; the train net's next step must read and
  // update the right values.
  Pair train;
  Net test_fast(NetOn("DNNL", TEST));
  Net test_ref(NetOn("CAFFE", TEST));
  test_fast.set_plain_after_pass(false);  // as the solver runs its test nets
  test_fast.ShareTrainedLayersWith(train.fast);
  test_ref.ShareTrainedLayersWith(train.ref);
  for (int step = 0; step < 2; ++step) {
    test_fast.input_blobs()[0]->CopyFrom(*train.ref.input_blobs()[0]);
    test_ref.input_blobs()[0]->CopyFrom(*train.ref.input_blobs()[0]);
    test_fast.Forward();
    test_ref.Forward();
    EXPECT_NE(nullptr, Weights(train.fast, "conv1").data()->layout());
    EXPECT_EQ(0, CountBad(*test_fast.blob_by_name("ip"), *test_ref.blob_by_name("ip"),
                          false, "test ip"));
    train.fast.Forward();
    train.ref.Forward();
    train.Backward();
    EXPECT_EQ(0, train.CompareAll(true)) << "step " << step;
    for (Net* net : {&train.fast, &train.ref}) {  // an SGD step, by hand
      for (Blob* p : net->learnable_params()) {
        float* w = p->mutable_cpu_data();
        const float* g = p->cpu_diff();
        for (int i = 0; i < p->count(); ++i) w[i] -= 0.01f * g[i];
      }
    }
  }
}

// conv1 (`conv`) -> LRN (`lrn`) -> `pool` pooling -> inner product, DNNL
// against the reference over two forward and backward passes; LRN reads and
// writes the layout conv1 leaves its output in.
void CheckLRNAfterConvolution(const std::string& conv, const std::string& lrn,
                              const std::string& pool = "MAX",
                              const std::string& input = "dim: 2 dim: 3 dim: 67 dim: 67",
                              const std::string& phase = "TEST") {
  auto net_on = [&](const std::string& engine) {
    return ParseText<NetParameter>(R"(
      name: "lrn" force_backward: true state { phase: )" + phase + R"( }
      layer { name: "data" type: "Input" top: "data"
              input_param { shape { )" + input + R"( } } }
      layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
              convolution_param { )" + conv + " engine: " + engine + R"(
                                  weight_filler { type: "gaussian" std: 0.3 }
                                  bias_filler { type: "gaussian" std: 0.3 } } }
      layer { name: "norm1" type: "LRN" bottom: "conv1" top: "norm1"
              lrn_param { )" + lrn + " engine: " + engine + R"( } }
      layer { name: "pool1" type: "Pooling" bottom: "norm1" top: "pool1"
              pooling_param { pool: )" + pool + R"( kernel_size: 3 stride: 2 engine: )" +
                                   engine + R"( } }
      layer { name: "ip" type: "InnerProduct" bottom: "pool1" top: "ip"
              inner_product_param { num_output: 3 weight_filler { type: "gaussian" std: 0.1 } } }
    )");
  };
  Net fast(net_on("DNNL")), ref(net_on("CAFFE"));
  fast.set_plain_after_pass(false);
  NetParameter weights;
  ref.ToProto(&weights);
  fast.CopyTrainedLayersFrom(weights);
  testing::FillGaussian(ref.input_blobs()[0]);
  fast.input_blobs()[0]->CopyFrom(*ref.input_blobs()[0]);
  for (int pass = 0; pass < 2; ++pass) {
    fast.Forward();
    ref.Forward();
    Blob* out_ref = ref.blob_by_name("ip").get();
    rng_gaussian(out_ref->count(), 0.f, 1.f, out_ref->mutable_cpu_diff());
    fast.blob_by_name("ip")->CopyFrom(*out_ref, true);
    fast.Backward();
    ref.Backward();
    EXPECT_NE(nullptr, fast.blob_by_name("norm1")->data()->layout());
    fast.ToPlain();
    int bad = 0;
    for (const char* name : {"conv1", "norm1", "pool1"}) {
      bad += CountBad(*fast.blob_by_name(name), *ref.blob_by_name(name), false, name);
      bad += CountBad(*fast.blob_by_name(name), *ref.blob_by_name(name), true, name);
    }
    EXPECT_EQ(0, bad) << conv << " / " << lrn << ", pass " << pass;
  }
}

// An AlexNet-like first layer (3 channels, 11x11, stride 4): oneDNN 2.6
// leaves its output in nhwc, which LRN reads and writes as it is, and the
// MAX pool after it keeps.
TEST(DnnlLayout, LRNOnAChannelsLastInput) {
  if (!HasDnnl()) GTEST_SKIP() << "crema was built without oneDNN";
  CheckLRNAfterConvolution("num_output: 40 kernel_size: 11 stride: 4",
                           "local_size: 5 alpha: 0.1 beta: 0.75");
}

// A training net's 3x3 convolution on a small input leaves channel blocks
// (nChw16c where the CPU has AVX-512, as kNet's conv1; 40 channels fill two
// blocks and part of a third): windows of 3
// and 5 channels reaching across blocks, other exponents, and k. (AVE
// pooling: the two engines round LRN's sums in different orders, and MAX
// pooling would route a gradient differently wherever that breaks a tie.)
TEST(DnnlLayout, LRNOnChannelBlocks) {
  if (!HasDnnl()) GTEST_SKIP() << "crema was built without oneDNN";
  for (const char* lrn : {"local_size: 5 alpha: 0.1 beta: 0.75",
                          "local_size: 3 alpha: 0.5 beta: 0.6 k: 2",
                          "local_size: 5 alpha: 0.3 beta: 1",
                          "local_size: 1 alpha: 0.3 beta: 0.75"}) {
    CheckLRNAfterConvolution("num_output: 40 kernel_size: 3 pad: 1", lrn, "AVE",
                             "dim: 2 dim: 3 dim: 19 dim: 17", "TRAIN");
    CheckLRNAfterConvolution("num_output: 32 kernel_size: 3 pad: 1", lrn, "AVE",
                             "dim: 2 dim: 3 dim: 19 dim: 17", "TRAIN");
  }
}

}  // namespace
}  // namespace crema
