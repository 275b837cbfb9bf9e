// Nets on the DNNL engine, against the same nets on the reference engine:
// in-place ReLUs fused into the convolution or inner product before them,
// runs of DNNL layers, and the forward and backward results of the whole
// net (outputs, input diffs and every parameter diff) within 1e-4.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>

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

void ExpectClose(const Blob& fast, const Blob& ref, bool diff, const std::string& what) {
  ASSERT_EQ(fast.shape(), ref.shape()) << what;
  const float* a = diff ? fast.cpu_diff() : fast.cpu_data();
  const float* b = diff ? ref.cpu_diff() : ref.cpu_data();
  int bad = 0;
  for (int i = 0; i < ref.count(); ++i) {
    if (!(std::fabs(a[i] - b[i]) <= 1e-4f * (std::fabs(b[i]) + 1.f)) && ++bad <= 3) {
      ADD_FAILURE() << what << "[" << i << "]: DNNL " << a[i] << " vs reference " << b[i];
    }
  }
  EXPECT_EQ(0, bad) << what;
}

// {engine} is replaced by the engine of every layer that has one.
const char* kNet = R"(
  name: "fused" force_backward: true
  layer { name: "data" type: "Input" top: "data"
          input_param { shape { dim: {batch} dim: 3 dim: 11 dim: 13 } } }
  layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
          convolution_param { num_output: 8 kernel_size: 3 pad: 1 stride: 2 engine: {engine}
                              weight_filler { type: "gaussian" std: 0.3 }
                              bias_filler { type: "gaussian" std: 0.3 } } }
  layer { name: "relu1" type: "ReLU" bottom: "conv1" top: "conv1"
          relu_param { engine: {engine} } }
  layer { name: "conv2" type: "Convolution" bottom: "conv1" top: "conv2"
          convolution_param { num_output: 6 kernel_size: 3 group: 2 engine: {engine}
                              pad_t: 1 pad_b: 0 pad_l: 0 pad_r: 1
                              weight_filler { type: "gaussian" std: 0.3 }
                              bias_filler { type: "gaussian" std: 0.3 } } }
  layer { name: "relu2" type: "ReLU" bottom: "conv2" top: "conv2"
          relu_param { negative_slope: 0.1 engine: {engine} } }
  layer { name: "pool" type: "Pooling" bottom: "conv2" top: "pool"
          pooling_param { pool: MAX kernel_size: 2 stride: 2 engine: {engine} } }
  layer { name: "ip1" type: "InnerProduct" bottom: "pool" top: "ip1"
          inner_product_param { num_output: 10 engine: {engine}
                                weight_filler { type: "gaussian" std: 0.3 }
                                bias_filler { type: "gaussian" std: 0.3 } } }
  layer { name: "relu3" type: "ReLU" bottom: "ip1" top: "ip1"
          relu_param { engine: {engine} } }
  layer { name: "ip2" type: "InnerProduct" bottom: "ip1" top: "ip2"
          inner_product_param { num_output: 4 engine: {engine}
                                weight_filler { type: "gaussian" std: 0.3 } } }
)";

// At batch 9 the InnerProducts run as matmuls (with the fused ReLU as
// their post-op), at batch 2 as inner products.
NetParameter NetOn(const std::string& engine, Phase phase, int batch = 2) {
  std::string text = kNet;
  for (size_t at; (at = text.find("{engine}")) != std::string::npos;) {
    text.replace(at, 8, engine);
  }
  text.replace(text.find("{batch}"), 7, std::to_string(batch));
  NetParameter param = ParseText<NetParameter>(text);
  param.mutable_state()->set_phase(phase);
  return param;
}

TEST(DnnlFusion, InPlaceReLUsRunInsideTheLayerBefore) {
  if (!HasDnnl()) GTEST_SKIP() << "crema was built without oneDNN";
  Net fast(NetOn("DNNL", TRAIN));
  Net ref(NetOn("CAFFE", TRAIN));
  for (const char* relu : {"relu1", "relu2", "relu3"}) {
    const int i = std::find(fast.layer_names().begin(), fast.layer_names().end(), relu) -
                  fast.layer_names().begin();
    EXPECT_TRUE(fast.forward_fused(i)) << relu;
    EXPECT_FALSE(ref.forward_fused(i)) << relu;
  }
}

TEST(DnnlFusion, FusedNetMatchesTheReferenceForwardAndBackward) {
  if (!HasDnnl()) GTEST_SKIP() << "crema was built without oneDNN";
  for (Phase phase : {TRAIN, TEST}) for (int batch : {2, 9}) {
    SCOPED_TRACE("batch " + std::to_string(batch));
    Net fast(NetOn("DNNL", phase, batch));
    Net ref(NetOn("CAFFE", phase, batch));
    NetParameter weights;
    ref.ToProto(&weights);
    fast.CopyTrainedLayersFrom(weights);
    testing::FillGaussian(ref.input_blobs()[0]);
    fast.input_blobs()[0]->CopyFrom(*ref.input_blobs()[0]);
    for (int pass = 0; pass < 2; ++pass) {  // primitives are reused
      fast.Forward();
      ref.Forward();
      for (const char* name : {"conv1", "conv2", "pool", "ip1", "ip2"}) {
        ExpectClose(*fast.blob_by_name(name), *ref.blob_by_name(name), false, name);
      }
      Blob* out_fast = fast.blob_by_name("ip2").get();
      Blob* out_ref = ref.blob_by_name("ip2").get();
      rng_gaussian(out_ref->count(), 0.f, 1.f, out_ref->mutable_cpu_diff());
      std::copy(out_ref->cpu_diff(), out_ref->cpu_diff() + out_ref->count(),
                out_fast->mutable_cpu_diff());
      fast.ClearParamDiffs();
      ref.ClearParamDiffs();
      fast.Backward();
      ref.Backward();
      ExpectClose(*fast.input_blobs()[0], *ref.input_blobs()[0], true, "data diff");
      for (size_t p = 0; p < ref.learnable_params().size(); ++p) {
        ExpectClose(*fast.learnable_params()[p], *ref.learnable_params()[p], true,
                    "param diff " + std::to_string(p));
      }
    }
  }
}

TEST(DnnlFusion, SharedActivationsGiveTheSameInference) {
  if (!HasDnnl()) GTEST_SKIP() << "crema was built without oneDNN";
  NetParameter param = NetOn("DNNL", TEST);
  param.set_force_backward(false);
  Net plain(param);
  Net shared(param);
  NetParameter weights;
  plain.ToProto(&weights);
  shared.CopyTrainedLayersFrom(weights);
  shared.ShareActivationMemory();
  testing::FillGaussian(plain.input_blobs()[0]);
  shared.input_blobs()[0]->CopyFrom(*plain.input_blobs()[0]);
  plain.Forward();
  shared.Forward();
  ExpectClose(*shared.output_blobs()[0], *plain.output_blobs()[0], false, "ip2");
}

}  // namespace
}  // namespace crema
