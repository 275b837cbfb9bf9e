// The DNNL (oneDNN) engine against the reference (CAFFE) engine: the same
// layer built both ways, with the same weights and inputs, must agree on the
// tops, the bottom diffs and the parameter diffs (which both accumulate onto
// the same non-zero starting values) within 1e-4 relative error. Each test
// also checks which engine really ran (Layer::engine()), so that a DNNL layer
// that silently handed its work to the reference fails. Skipped when crema
// is built without oneDNN.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "crema/layer_registry.hpp"
#include "support/test_util.hpp"

namespace crema {
namespace {

using testing::FillGaussian;
using testing::ParseText;

bool HasDnnl(const std::string& type) {
  const auto engines = LayerRegistry::Engines(type);
  return std::find(engines.begin(), engines.end(), "DNNL") != engines.end();
}

// How close is close. kElement: |a - b| <= 1e-4 * (|b| + 1) element-wise.
// kTensor: |a - b| <= 1e-5 * max |b|, relative to the tensor's scale, for
// algorithms whose rounding differs from a plain sum of products
// (Winograd): an element near zero that many large terms cancelled to is
// then held to the accuracy of those terms, not of its own small value.
enum class Scale { kElement, kTensor };

void ExpectClose(const float* dnnl, const float* ref, int count,
                 const std::string& what, Scale scale = Scale::kElement) {
  float largest = 0.f;
  for (int i = 0; i < count; ++i) largest = std::max(largest, std::fabs(ref[i]));
  int bad = 0;
  for (int i = 0; i < count; ++i) {
    const float tol = scale == Scale::kElement ? 1e-4f * (std::fabs(ref[i]) + 1.f)
                                               : 1e-5f * largest;
    if (!(std::fabs(dnnl[i] - ref[i]) <= tol)) {
      if (++bad <= 5) {
        ADD_FAILURE() << what << "[" << i << "]: DNNL " << dnnl[i]
                      << " vs reference " << ref[i];
      }
    }
  }
  EXPECT_EQ(bad, 0) << what << ": " << bad << " of " << count << " differ";
}

// Builds `layer_text` (a LayerParameter without its engine) with the engine
// field of its `engine_param` (e.g. "convolution_param") set to `engine`.
std::shared_ptr<Layer> Make(const std::string& layer_text,
                            const std::string& engine_param,
                            const std::string& engine) {
  LayerParameter param = ParseText<LayerParameter>(layer_text);
  param.MergeFrom(ParseText<LayerParameter>(engine_param + " { engine: " +
                                            engine + " }"));
  return LayerRegistry::Create(param);
}

struct Blobs {
  std::vector<std::unique_ptr<Blob>> bottom, top;
  std::vector<Blob*> bottom_vec() const {
    std::vector<Blob*> v;
    for (auto& b : bottom) v.push_back(b.get());
    return v;
  }
  std::vector<Blob*> top_vec() const {
    std::vector<Blob*> v;
    for (auto& b : top) v.push_back(b.get());
    return v;
  }
};

// The engine a DNNL-built layer is expected to run: DNNL itself, or the
// reference where the DNNL layer hands these shapes to it.
constexpr const char* kFast = "DNNL";
constexpr const char* kFallsBack = "CAFFE";

// Runs the layer both ways and compares. `shape` is the bottom's shape;
// `bottoms` of them (all the same shape), as many tops (or `tops`). The
// DNNL-built layer must run on `runs` in both passes.
void Compare(const std::string& layer_text, const std::string& engine_param,
             const std::vector<int>& shape, int bottoms = 1,
             int tops = -1, Scale scale = Scale::kElement, const char* runs = kFast) {
  if (tops < 0) tops = bottoms;
  auto ref = Make(layer_text, engine_param, "CAFFE");
  auto fast = Make(layer_text, engine_param, "DNNL");
  ASSERT_NE(std::string(ref->type()), "");
  Blobs r, d;
  for (int i = 0; i < bottoms; ++i) {
    r.bottom.push_back(std::make_unique<Blob>(shape));
    d.bottom.push_back(std::make_unique<Blob>(shape));
    FillGaussian(r.bottom[i].get());
    d.bottom[i]->CopyFrom(*r.bottom[i]);
  }
  for (int i = 0; i < tops; ++i) {
    r.top.push_back(std::make_unique<Blob>());
    d.top.push_back(std::make_unique<Blob>());
  }
  ref->SetUp(r.bottom_vec(), r.top_vec());
  fast->SetUp(d.bottom_vec(), d.top_vec());
  ASSERT_EQ(ref->blobs().size(), fast->blobs().size());
  for (size_t p = 0; p < ref->blobs().size(); ++p) {
    Blob* rp = ref->blobs()[p].get();
    FillGaussian(rp, 0.5f);
    // Param diffs start non-zero: both engines must accumulate onto them.
    rng_gaussian(rp->count(), 0.f, 1.f, rp->mutable_cpu_diff());
    fast->blobs()[p]->CopyFrom(*rp, /*copy_diff=*/false, true);
    fast->blobs()[p]->CopyFrom(*rp, /*copy_diff=*/true, true);
  }
  ref->Forward(r.bottom_vec(), r.top_vec());
  fast->Forward(d.bottom_vec(), d.top_vec());
  EXPECT_EQ(ref->engine(), "CAFFE");
  EXPECT_EQ(fast->engine(), runs) << "forward of " << layer_text << " on "
                                  << r.bottom[0]->shape_string();
  for (int i = 0; i < tops; ++i) {
    ASSERT_EQ(r.top[i]->shape(), d.top[i]->shape());
    ExpectClose(d.top[i]->cpu_data(), r.top[i]->cpu_data(), r.top[i]->count(),
                "top " + std::to_string(i) + " " + r.top[i]->shape_string(), scale);
    rng_gaussian(r.top[i]->count(), 0.f, 1.f, r.top[i]->mutable_cpu_diff());
    std::copy(r.top[i]->cpu_diff(), r.top[i]->cpu_diff() + r.top[i]->count(),
              d.top[i]->mutable_cpu_diff());
  }
  const std::vector<bool> down(bottoms, true);
  ref->Backward(r.top_vec(), down, r.bottom_vec());
  fast->Backward(d.top_vec(), down, d.bottom_vec());
  EXPECT_EQ(fast->engine(), runs) << "backward of " << layer_text;
  for (int i = 0; i < bottoms; ++i) {
    ExpectClose(d.bottom[i]->cpu_diff(), r.bottom[i]->cpu_diff(),
                r.bottom[i]->count(), "bottom diff " + std::to_string(i), scale);
  }
  for (size_t p = 0; p < ref->blobs().size(); ++p) {
    ExpectClose(fast->blobs()[p]->cpu_diff(), ref->blobs()[p]->cpu_diff(),
                ref->blobs()[p]->count(), "param diff " + std::to_string(p), scale);
  }
}

#define SKIP_WITHOUT_DNNL(type) \
  if (!HasDnnl(type)) GTEST_SKIP() << "crema was built without oneDNN"

std::string ConvText(const std::string& params) {
  return "name: 'conv' type: 'Convolution' convolution_param { " + params +
         " weight_filler { type: 'gaussian' } bias_filler { type: 'gaussian' "
         "} }";
}

TEST(DnnlConvolution, Basic3x3) {
  SKIP_WITHOUT_DNNL("Convolution");
  Compare(ConvText("num_output: 8 kernel_size: 3"), "convolution_param",
          {2, 3, 9, 9});
}

TEST(DnnlConvolution, StridePadOddSizes) {
  SKIP_WITHOUT_DNNL("Convolution");
  Compare(ConvText("num_output: 5 kernel_size: 3 stride: 2 pad: 1"),
          "convolution_param", {3, 7, 11, 13});
  Compare(ConvText("num_output: 4 kernel_h: 5 kernel_w: 2 stride_h: 3 "
                   "stride_w: 1 pad_h: 2 pad_w: 0"),
          "convolution_param", {2, 3, 10, 7});
}

TEST(DnnlConvolution, StrideLeavesRightEdgeUnread) {
  SKIP_WITHOUT_DNNL("Convolution");
  // (8 + 0 - 1) / 2 + 1 = 4 outputs read inputs 0, 2, 4, 6; 7 is unread.
  Compare(ConvText("num_output: 6 kernel_size: 1 stride: 2"),
          "convolution_param", {2, 5, 8, 8});
}

TEST(DnnlConvolution, Dilation) {
  SKIP_WITHOUT_DNNL("Convolution");
  Compare(ConvText("num_output: 4 kernel_size: 3 dilation: 2 pad: 2"),
          "convolution_param", {2, 3, 9, 10});
  Compare(ConvText("num_output: 3 kernel_size: 3 dilation: 3 stride: 2"),
          "convolution_param", {1, 2, 13, 11});
}

TEST(DnnlConvolution, Groups) {
  SKIP_WITHOUT_DNNL("Convolution");
  Compare(ConvText("num_output: 6 kernel_size: 3 group: 2 pad: 1"),
          "convolution_param", {2, 4, 7, 7});
  Compare(ConvText("num_output: 9 kernel_size: 2 group: 3 stride: 2"),
          "convolution_param", {2, 6, 9, 8});
}

TEST(DnnlConvolution, Depthwise) {
  SKIP_WITHOUT_DNNL("Convolution");
  Compare(ConvText("num_output: 8 kernel_size: 3 group: 8 pad: 1"),
          "convolution_param", {2, 8, 9, 9});
  Compare(ConvText("num_output: 16 kernel_size: 3 group: 8 stride: 2 pad: 1"),
          "convolution_param", {2, 8, 10, 11});
}

// The top of `layer_text` built with DNNL, with CREMA_DNNL_WINOGRAD set to
// `winograd` ("" leaves it unset), on a fixed input and fixed weights.
std::vector<float> DnnlTop(const std::string& layer_text, const std::vector<int>& shape,
                           const char* winograd) {
  if (*winograd) {
    setenv("CREMA_DNNL_WINOGRAD", winograd, 1);
  } else {
    unsetenv("CREMA_DNNL_WINOGRAD");
  }
  auto layer = Make(layer_text, "convolution_param", "DNNL");
  Blob bottom(shape), top;
  for (int i = 0; i < bottom.count(); ++i) bottom.mutable_cpu_data()[i] = std::sin(i * 0.37f);
  std::vector<Blob*> b = {&bottom}, t = {&top};
  layer->SetUp(b, t);  // picks the algorithm
  unsetenv("CREMA_DNNL_WINOGRAD");
  for (auto& p : layer->blobs()) {
    for (int i = 0; i < p->count(); ++i) p->mutable_cpu_data()[i] = 0.1f * std::cos(i * 0.71f);
  }
  layer->Forward(b, t);
  EXPECT_EQ(layer->engine(), kFast);
  return std::vector<float>(top.cpu_data(), top.cpu_data() + top.count());
}

// 3x3 stride-1 convolutions with enough channels and pixels run Winograd
// in training: with and without a bias, they agree with the reference in
// every direction (to the tensor's scale: Winograd's error there is
// 1-3e-6, direct's 0.3-2e-6); and the result differs in its last bits from
// the direct kernel's (CREMA_DNNL_WINOGRAD=0), so Winograd did run.
// Inference stays direct: the same bits either way.
TEST(DnnlConvolution, Winograd) {
  SKIP_WITHOUT_DNNL("Convolution");
  const std::string train = ConvText("num_output: 32 kernel_size: 3 pad: 1");
  Compare(train, "convolution_param", {2, 32, 20, 20}, 1, -1, Scale::kTensor);
  Compare(ConvText("num_output: 48 kernel_size: 3 bias_term: false"),
          "convolution_param", {3, 16, 15, 17}, 1, -1, Scale::kTensor);
  Compare(ConvText("num_output: 64 kernel_size: 3 pad: 1"), "convolution_param",
          {2, 128, 14, 14}, 1, -1, Scale::kTensor);
  const std::string infer =
      "phase: TEST " + ConvText("num_output: 16 kernel_size: 3 pad: 1");
  Compare(infer, "convolution_param", {1, 16, 96, 96}, 1, -1, Scale::kTensor);
  // oneDNN's Winograd kernels need AVX-512; elsewhere direct runs.
  const bool avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
  if (!avx512) GTEST_SKIP() << "no AVX-512 here: oneDNN has no Winograd kernel to compare";
  for (const auto& [text, shape] :
       {std::make_pair(train, std::vector<int>{2, 32, 20, 20}),
        std::make_pair(infer, std::vector<int>{1, 16, 96, 96})}) {
    const std::vector<float> winograd = DnnlTop(text, shape, "");
    const std::vector<float> direct = DnnlTop(text, shape, "0");
    ASSERT_EQ(winograd.size(), direct.size());
    if (text == train) {
      EXPECT_NE(winograd, direct) << text << ": the same bits as direct";
    } else {
      EXPECT_EQ(winograd, direct) << text << ": inference ran Winograd";
    }
    ExpectClose(winograd.data(), direct.data(), static_cast<int>(direct.size()),
                "Winograd vs direct", Scale::kTensor);
  }
}

TEST(DnnlConvolution, NoBiasAndSharedWeightsOverTwoBottoms) {
  SKIP_WITHOUT_DNNL("Convolution");
  Compare(ConvText("num_output: 4 kernel_size: 3 bias_term: false"),
          "convolution_param", {2, 3, 6, 6});
  Compare(ConvText("num_output: 4 kernel_size: 3 pad: 1"),
          "convolution_param", {2, 3, 6, 5}, 2);
}

TEST(DnnlConvolution, ReferenceFallbackFor3D) {
  SKIP_WITHOUT_DNNL("Convolution");
  Compare(ConvText("num_output: 3 kernel_size: 2"), "convolution_param",
          {1, 2, 4, 4, 4}, 1, -1, Scale::kElement, kFallsBack);
}

TEST(DnnlConvolution, ReshapeRebuildsPrimitives) {
  SKIP_WITHOUT_DNNL("Convolution");
  auto fast = Make(ConvText("num_output: 2 kernel_size: 3 pad: 1"),
                   "convolution_param", "DNNL");
  auto ref = Make(ConvText("num_output: 2 kernel_size: 3 pad: 1"),
                  "convolution_param", "CAFFE");
  Blob bottom(1, 3, 5, 5), top_f, top_r;
  FillGaussian(&bottom);
  fast->SetUp({&bottom}, {&top_f});
  ref->SetUp({&bottom}, {&top_r});
  ref->blobs()[0]->CopyFrom(*fast->blobs()[0]);
  ref->blobs()[1]->CopyFrom(*fast->blobs()[1]);
  for (int size : {5, 8, 3}) {
    bottom.Reshape(2, 3, size, size + 1);
    FillGaussian(&bottom);
    fast->Forward({&bottom}, {&top_f});
    ref->Forward({&bottom}, {&top_r});
    ASSERT_EQ(top_f.shape(), top_r.shape());
    EXPECT_EQ(fast->engine(), kFast);
    ExpectClose(top_f.cpu_data(), top_r.cpu_data(), top_r.count(), "top");
  }
}

std::string DeconvText(const std::string& params) {
  return "name: 'deconv' type: 'Deconvolution' convolution_param { " + params +
         " weight_filler { type: 'gaussian' } bias_filler { type: 'gaussian' "
         "} }";
}

TEST(DnnlDeconvolution, StridePadGroupsDilation) {
  SKIP_WITHOUT_DNNL("Deconvolution");
  // FCN-style 2x upsampling, odd sizes, groups, dilation, no bias, two bottoms.
  Compare(DeconvText("num_output: 4 kernel_size: 4 stride: 2 pad: 1"),
          "convolution_param", {2, 3, 5, 7});
  Compare(DeconvText("num_output: 6 kernel_size: 3 stride: 3 group: 3"),
          "convolution_param", {2, 6, 4, 5});
  Compare(DeconvText("num_output: 5 kernel_size: 3 dilation: 2 pad: 1"),
          "convolution_param", {1, 2, 6, 6});
  Compare(DeconvText("num_output: 3 kernel_h: 2 kernel_w: 3 stride_h: 2 stride_w: 1 "
                     "bias_term: false"),
          "convolution_param", {2, 4, 5, 4}, 2);
  // Depthwise bilinear upsampling, as FCN's fixed upscore layers.
  Compare(DeconvText("num_output: 8 kernel_size: 4 stride: 2 group: 8"),
          "convolution_param", {1, 8, 6, 6});
}

// In TEST phase the weights are reordered once into the primitive's layout
// and kept there (in place where the two layouts allow): channel counts
// that fill whole blocks, for convolution and deconvolution (whose plain
// weights are in x out, not out x in), grouped and not.
TEST(DnnlConvolution, InferenceWeightsKeptInTheirLayout) {
  SKIP_WITHOUT_DNNL("Convolution");
  for (const char* params : {"num_output: 32 kernel_size: 3 pad: 1",
                             "num_output: 64 kernel_size: 3 pad: 1 group: 2",
                             "num_output: 32 kernel_size: 1"}) {
    Compare("phase: TEST " + ConvText(params), "convolution_param", {2, 32, 7, 6});
    Compare("phase: TEST " + DeconvText(params), "convolution_param", {2, 32, 5, 4});
  }
}

// BatchNorm both ways, in or out of place: tops, bottom diffs and the
// running statistics (which the forward pass updates while training).
void CompareBatchNorm(const std::string& phase, bool in_place, const std::vector<int>& shape) {
  const std::string text = "name: 'bn' type: 'BatchNorm' phase: " + phase +
                           " batch_norm_param { moving_average_fraction: 0.9 }";
  auto ref = Make(text, "batch_norm_param", "CAFFE");
  auto fast = Make(text, "batch_norm_param", "DNNL");
  Blob r_bottom(shape), d_bottom(shape), r_top, d_top;
  FillGaussian(&r_bottom, 2.f, 0.5f);
  d_bottom.CopyFrom(r_bottom);
  Blob* r_out = in_place ? &r_bottom : &r_top;
  Blob* d_out = in_place ? &d_bottom : &d_top;
  ref->SetUp({&r_bottom}, {r_out});
  fast->SetUp({&d_bottom}, {d_out});
  // Stored statistics: positive variances and scale factor.
  for (int p = 0; p < 3; ++p) {
    FillGaussian(ref->blobs()[p].get(), 0.5f, 2.f);
    fast->blobs()[p]->CopyFrom(*ref->blobs()[p]);
  }
  for (int pass = 0; pass < 2; ++pass) {
    if (pass > 0) {
      FillGaussian(&r_bottom, 2.f, 0.5f);
      d_bottom.CopyFrom(r_bottom);
    }
    ref->Forward({&r_bottom}, {r_out});
    fast->Forward({&d_bottom}, {d_out});
    EXPECT_EQ(fast->engine(), kFast);
    ExpectClose(d_out->cpu_data(), r_out->cpu_data(), r_out->count(), "top");
    for (int p = 0; p < 3; ++p) {
      ExpectClose(fast->blobs()[p]->cpu_data(), ref->blobs()[p]->cpu_data(),
                  ref->blobs()[p]->count(), "running statistic " + std::to_string(p));
    }
    rng_gaussian(r_out->count(), 0.f, 1.f, r_out->mutable_cpu_diff());
    std::copy(r_out->cpu_diff(), r_out->cpu_diff() + r_out->count(), d_out->mutable_cpu_diff());
    ref->Backward({r_out}, {true}, {&r_bottom});
    fast->Backward({d_out}, {true}, {&d_bottom});
    ExpectClose(d_bottom.cpu_diff(), r_bottom.cpu_diff(), r_bottom.count(), "bottom diff");
  }
}

TEST(DnnlBatchNorm, TrainingStatisticsAndGradients) {
  SKIP_WITHOUT_DNNL("BatchNorm");
  CompareBatchNorm("TRAIN", false, {4, 3, 5, 7});
  CompareBatchNorm("TRAIN", true, {2, 6, 9, 9});
  CompareBatchNorm("TRAIN", false, {16, 5});  // N x C
}

TEST(DnnlBatchNorm, GlobalStatisticsInTest) {
  SKIP_WITHOUT_DNNL("BatchNorm");
  CompareBatchNorm("TEST", false, {2, 3, 5, 7});
  CompareBatchNorm("TEST", true, {1, 8, 4, 3});
}

std::string IpText(const std::string& params) {
  return "name: 'ip' type: 'InnerProduct' inner_product_param { " + params +
         " weight_filler { type: 'gaussian' } bias_filler { type: 'gaussian' "
         "} }";
}

TEST(DnnlInnerProduct, Forms) {
  SKIP_WITHOUT_DNNL("InnerProduct");
  Compare(IpText("num_output: 7"), "inner_product_param", {3, 2, 5, 3});
  Compare(IpText("num_output: 10"), "inner_product_param", {1, 37});
  Compare(IpText("num_output: 5 transpose: true"), "inner_product_param",
          {4, 3, 2, 2});
  Compare(IpText("num_output: 5 bias_term: false"), "inner_product_param",
          {2, 9});
  Compare(IpText("num_output: 3 axis: 2"), "inner_product_param", {2, 3, 4});
}

// Above a few rows the forward and the bottom diff run as oneDNN matmuls
// that read the weights through strides: every form again at those sizes.
TEST(DnnlInnerProduct, FormsAsMatmul) {
  SKIP_WITHOUT_DNNL("InnerProduct");
  Compare(IpText("num_output: 7"), "inner_product_param", {9, 2, 5, 3});
  Compare(IpText("num_output: 5 transpose: true"), "inner_product_param",
          {8, 3, 2, 2});
  Compare(IpText("num_output: 17 bias_term: false"), "inner_product_param",
          {6, 33});
  Compare(IpText("num_output: 3 axis: 2"), "inner_product_param", {3, 5, 4});
}

std::string PoolText(const std::string& params) {
  return "name: 'pool' type: 'Pooling' pooling_param { " + params + " }";
}

TEST(DnnlPooling, MaxCeilRule) {
  SKIP_WITHOUT_DNNL("Pooling");
  // AlexNet's 3/2 on odd and even sizes: the ceil rule adds a window.
  Compare(PoolText("pool: MAX kernel_size: 3 stride: 2"), "pooling_param",
          {2, 3, 13, 13});
  Compare(PoolText("pool: MAX kernel_size: 3 stride: 2"), "pooling_param",
          {2, 3, 12, 9});
  Compare(PoolText("pool: MAX kernel_size: 2 stride: 2"), "pooling_param",
          {2, 4, 8, 7});
}

TEST(DnnlPooling, MaxPaddedAndRectangular) {
  SKIP_WITHOUT_DNNL("Pooling");
  Compare(PoolText("pool: MAX kernel_size: 3 stride: 2 pad: 1"),
          "pooling_param", {2, 3, 9, 10});
  Compare(PoolText("pool: MAX kernel_h: 3 kernel_w: 2 stride_h: 2 stride_w: 1 "
                   "pad_h: 1 pad_w: 0"),
          "pooling_param", {1, 2, 7, 6});
  Compare(PoolText("pool: MAX kernel_size: 3 stride: 2 round_mode: FLOOR"),
          "pooling_param", {2, 3, 10, 10});
}

TEST(DnnlPooling, MaxWithMaskTopFallsBack) {
  SKIP_WITHOUT_DNNL("Pooling");
  Compare(PoolText("pool: MAX kernel_size: 3 stride: 2"), "pooling_param",
          {1, 2, 7, 7}, 1, 2, Scale::kElement, kFallsBack);
}

TEST(DnnlPooling, AverageDivisors) {
  SKIP_WITHOUT_DNNL("Pooling");
  // No padding, ceil windows clipped: exclude_padding.
  Compare(PoolText("pool: AVE kernel_size: 3 stride: 2"), "pooling_param",
          {2, 3, 12, 12});
  // Padding, windows inside in + pad: include_padding.
  Compare(PoolText("pool: AVE kernel_size: 3 stride: 1 pad: 1"),
          "pooling_param", {2, 3, 7, 6});
  Compare(PoolText("pool: AVE kernel_size: 3 stride: 2 pad: 1"),
          "pooling_param", {2, 3, 9, 9});
  // Padding and a ceil window past in + pad: the reference.
  Compare(PoolText("pool: AVE kernel_size: 3 stride: 2 pad: 1"),
          "pooling_param", {2, 3, 8, 8}, 1, -1, Scale::kElement, kFallsBack);
  Compare(PoolText("pool: AVE global_pooling: true"), "pooling_param",
          {2, 5, 6, 7});
}

TEST(DnnlReLU, PlainLeakyAndInPlace) {
  SKIP_WITHOUT_DNNL("ReLU");
  Compare("name: 'relu' type: 'ReLU'", "relu_param", {2, 3, 5, 7});
  Compare("name: 'relu' type: 'ReLU' relu_param { negative_slope: 0.1 }",
          "relu_param", {3, 17});
  // In place: top and bottom are the same blob.
  auto ref = Make("name: 'relu' type: 'ReLU'", "relu_param", "CAFFE");
  auto fast = Make("name: 'relu' type: 'ReLU'", "relu_param", "DNNL");
  Blob r(2, 3, 4, 5), d(2, 3, 4, 5);
  FillGaussian(&r);
  d.CopyFrom(r);
  ref->SetUp({&r}, {&r});
  fast->SetUp({&d}, {&d});
  ref->Forward({&r}, {&r});
  fast->Forward({&d}, {&d});
  EXPECT_EQ(fast->engine(), kFast);
  ExpectClose(d.cpu_data(), r.cpu_data(), r.count(), "in-place top");
  rng_gaussian(r.count(), 0.f, 1.f, r.mutable_cpu_diff());
  d.CopyFrom(r, true);
  ref->Backward({&r}, {true}, {&r});
  fast->Backward({&d}, {true}, {&d});
  ExpectClose(d.cpu_diff(), r.cpu_diff(), r.count(), "in-place bottom diff");
}

TEST(DnnlLRN, AcrossChannels) {
  SKIP_WITHOUT_DNNL("LRN");
  Compare("name: 'norm' type: 'LRN' lrn_param { local_size: 5 alpha: 0.0001 "
          "beta: 0.75 }",
          "lrn_param", {2, 7, 5, 6});
  Compare("name: 'norm' type: 'LRN' lrn_param { local_size: 3 alpha: 0.5 "
          "beta: 0.6 k: 2 }",
          "lrn_param", {2, 10, 3, 3});
  Compare("name: 'norm' type: 'LRN' lrn_param { local_size: 5 alpha: 0.0001 "
          "beta: 0.75 }",
          "lrn_param", {2, 16, 7, 5});
  Compare("name: 'norm' type: 'LRN' lrn_param { local_size: 3 alpha: 0.5 "
          "beta: 0.6 k: 2 }",
          "lrn_param", {1, 24, 4, 6});
  // The exponents computed without pow, more pixels than one tile and a
  // window wider than the channels.
  Compare("name: 'norm' type: 'LRN' lrn_param { local_size: 3 alpha: 0.3 "
          "beta: 0.5 k: 1.5 }",
          "lrn_param", {2, 9, 7, 5});
  Compare("name: 'norm' type: 'LRN' lrn_param { local_size: 7 alpha: 0.2 "
          "beta: 1 }",
          "lrn_param", {1, 4, 3, 11});
  Compare("name: 'norm' type: 'LRN' lrn_param { local_size: 3 alpha: 0.2 "
          "beta: 0.75 }",
          "lrn_param", {2, 6, 19, 3});
}

TEST(DnnlLRN, WithinChannelFallsBack) {
  SKIP_WITHOUT_DNNL("LRN");
  Compare("name: 'norm' type: 'LRN' lrn_param { local_size: 3 alpha: 0.5 "
          "norm_region: WITHIN_CHANNEL }",
          "lrn_param", {2, 3, 5, 5}, 1, -1, Scale::kElement, kFallsBack);
}

TEST(DnnlEngine, IsTheDefaultAndCaffeForcesTheReference) {
  SKIP_WITHOUT_DNNL("Convolution");
  LayerParameter param = ParseText<LayerParameter>(ConvText(
      "num_output: 2 kernel_size: 1"));
  EXPECT_EQ(LayerRegistry::RequestedEngine(param), "");
  param.mutable_convolution_param()->set_engine(
      ConvolutionParameter::CAFFE);
  EXPECT_EQ(LayerRegistry::RequestedEngine(param), "CAFFE");
  param.mutable_convolution_param()->set_engine(ConvolutionParameter::DNNL);
  EXPECT_EQ(LayerRegistry::RequestedEngine(param), "DNNL");
}

TEST(DnnlEngine, OverrideAppliesToLayersThatNameNoEngine) {
  SKIP_WITHOUT_DNNL("Convolution");
  const LayerParameter conv = ParseText<LayerParameter>(ConvText("num_output: 2 kernel_size: 1"));
  LayerParameter conv_dnnl = conv;
  conv_dnnl.mutable_convolution_param()->set_engine(ConvolutionParameter::DNNL);
  const LayerParameter sigmoid = ParseText<LayerParameter>("name: 's' type: 'Sigmoid'");
  EXPECT_EQ(LayerRegistry::Create(conv)->engine(), "DNNL");  // the best built
  {
    ScopedEngineOverride reference("CAFFE");
    EXPECT_EQ(LayerRegistry::EngineOverride(), "CAFFE");
    EXPECT_EQ(LayerRegistry::Create(conv)->engine(), "CAFFE");
    EXPECT_EQ(LayerRegistry::Create(conv_dnnl)->engine(), "DNNL");  // named: kept
    {
      ScopedEngineOverride fast("DNNL");
      EXPECT_EQ(LayerRegistry::Create(conv)->engine(), "DNNL");
      // No DNNL Sigmoid: the type keeps its default.
      EXPECT_EQ(LayerRegistry::Create(sigmoid)->engine(), "CAFFE");
    }
    EXPECT_EQ(LayerRegistry::EngineOverride(), "CAFFE");
  }
  EXPECT_EQ(LayerRegistry::EngineOverride(), "");
  EXPECT_EQ(LayerRegistry::Create(conv)->engine(), "DNNL");
}

}  // namespace
}  // namespace crema
