// Net::ClearParamDiffsBeforeBackward: the zeros a solver iteration starts
// from, written only where a layer's backward does not overwrite the diff,
// must give exactly the gradients of clearing first.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "crema/common.hpp"
#include "crema/net.hpp"
#include "support/test_util.hpp"

namespace crema {
namespace {

using testing::ParseText;

#ifdef CREMA_HAVE_DNNL
const char* kFastEngine = "DNNL";
#else
const char* kFastEngine = "CAFFE";
#endif

// Convolutions on both engines, an inner product sharing its weights with
// another (the second adds to what the first wrote), a transposed one, a
// frozen one (lr_mult 0: its diff is never written) and a loss.
std::string NetText() {
  std::string text = R"(
    name: "lazy"
    layer { name: "data" type: "Input" top: "data" top: "target"
            input_param { shape { dim: 4 dim: 3 dim: 7 dim: 7 } shape { dim: 4 dim: 6 } } }
    layer { name: "conv_fast" type: "Convolution" bottom: "data" top: "conv_fast"
            convolution_param { num_output: 4 kernel_size: 3 engine: ENGINE
              weight_filler { type: "gaussian" std: 0.3 } bias_filler { type: "gaussian" std: 0.3 } } }
    layer { name: "conv_ref" type: "Convolution" bottom: "data" top: "conv_ref"
            convolution_param { num_output: 4 kernel_size: 3 engine: CAFFE
              weight_filler { type: "gaussian" std: 0.3 } bias_filler { type: "gaussian" std: 0.3 } } }
    layer { name: "ip_a" type: "InnerProduct" bottom: "conv_fast" top: "ip_a"
            param { name: "w" } param { name: "b" }
            inner_product_param { num_output: 6 engine: ENGINE
              weight_filler { type: "gaussian" std: 0.2 } bias_filler { type: "gaussian" std: 0.2 } } }
    layer { name: "ip_b" type: "InnerProduct" bottom: "conv_ref" top: "ip_b"
            param { name: "w" } param { name: "b" }
            inner_product_param { num_output: 6
              weight_filler { type: "gaussian" std: 0.2 } bias_filler { type: "gaussian" std: 0.2 } } }
    layer { name: "ip_t" type: "InnerProduct" bottom: "conv_fast" top: "ip_t"
            inner_product_param { num_output: 6 transpose: true
              weight_filler { type: "gaussian" std: 0.2 } bias_filler { type: "gaussian" std: 0.2 } } }
    layer { name: "frozen" type: "InnerProduct" bottom: "conv_ref" top: "frozen"
            param { lr_mult: 0 } param { lr_mult: 0 }
            inner_product_param { num_output: 6
              weight_filler { type: "gaussian" std: 0.2 } bias_filler { type: "gaussian" std: 0.2 } } }
    layer { name: "sum" type: "Eltwise" bottom: "ip_a" bottom: "ip_b" bottom: "ip_t"
            bottom: "frozen" top: "sum" }
    layer { name: "loss" type: "EuclideanLoss" bottom: "sum" bottom: "target" top: "loss" }
  )";
  for (size_t at; (at = text.find("ENGINE")) != std::string::npos;) {
    text.replace(at, 6, kFastEngine);
  }
  return text;
}

void FillInputs(Net* net) {
  for (Blob* input : net->input_blobs()) {
    float* x = input->mutable_cpu_data();
    for (int i = 0; i < input->count(); ++i) x[i] = std::sin(0.37f * i) + 0.1f;
  }
}

TEST(LazyParamDiffs, SameGradientsAsClearingFirst) {
  std::vector<std::vector<float>> one_pass;  // the lazy net's diffs after one pass
  for (int passes : {1, 2}) {  // iter_size 1 and 2: the second pass adds
    Crema::set_random_seed(31);
    Net eager(ParseText<NetParameter>(NetText()));
    Crema::set_random_seed(31);
    Net lazy(ParseText<NetParameter>(NetText()));
    ASSERT_EQ(eager.learnable_params().size(), lazy.learnable_params().size());
    // Stale gradients: an addition to them would show (NaN stays NaN).
    for (Net* net : {&eager, &lazy}) {
      for (Blob* p : net->learnable_params()) {
        float* d = p->mutable_cpu_diff();
        for (int i = 0; i < p->count(); ++i) d[i] = std::numeric_limits<float>::quiet_NaN();
      }
    }
    eager.ClearParamDiffs();
    lazy.ClearParamDiffsBeforeBackward();
    for (Net* net : {&eager, &lazy}) {
      FillInputs(net);
      for (int pass = 0; pass < passes; ++pass) net->ForwardBackward();
    }
    // The frozen layer's diffs were never written, and read as zeros.
    const auto frozen = lazy.layer_by_name("frozen");
    EXPECT_TRUE(frozen->blobs()[0]->diff()->zero_pending());
    // The inner products wrote over their diffs: no zeros were filled.
    EXPECT_FALSE(lazy.layer_by_name("ip_t")->blobs()[0]->diff()->zero_pending());
    for (size_t k = 0; k < lazy.learnable_params().size(); ++k) {
      const Blob& e = *eager.learnable_params()[k];
      const Blob& l = *lazy.learnable_params()[k];
      double norm = 0;
      for (int i = 0; i < e.count(); ++i) {
        // (The oneDNN inner product writes an empty diff with its own
        // matmul, which may sum the batch in another order.)
        ASSERT_NEAR(e.cpu_diff()[i], l.cpu_diff()[i], 1e-5f * std::abs(e.cpu_diff()[i]) + 1e-6f)
            << "param " << k << " value " << i << ", " << passes << " passes";
        // Two passes over the same inputs: twice the gradient (the
        // reference convolution adds image by image, so up to rounding).
        if (passes == 1) {
          if (i == 0) one_pass.emplace_back();
          one_pass[k].push_back(l.cpu_diff()[i]);
        } else {
          const float twice = 2 * one_pass[k][i];
          ASSERT_NEAR(l.cpu_diff()[i], twice, 1e-5f * std::abs(twice) + 1e-6f)
              << "param " << k << " value " << i;
        }
        norm += std::abs(e.cpu_diff()[i]);
      }
      const bool is_frozen = &l == frozen->blobs()[0].get() || &l == frozen->blobs()[1].get();
      if (is_frozen) {
        EXPECT_EQ(norm, 0.0) << "param " << k;
      } else {
        EXPECT_GT(norm, 0.0) << "param " << k << " has no gradient: the test tests nothing";
      }
    }
  }
}

}  // namespace
}  // namespace crema
