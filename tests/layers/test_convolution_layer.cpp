// Convolution and Deconvolution: shapes, forward against a direct
// (six-nested-loop) convolution, numerical gradients, and parameter errors.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "crema/layer_registry.hpp"
#include "crema/layers/conv_layer.hpp"
#include "crema/layers/deconv_layer.hpp"
#include "support/gradient_checker.hpp"
#include "support/test_util.hpp"

namespace crema {
namespace {

using testing::FillGaussian;
using testing::GradientChecker;
using testing::ParseText;

// Geometry of a direct convolution; one value per spatial axis.
struct Geometry {
  std::vector<int> kernel, stride, pad, dilation;
  int group = 1;
};

// Spatial coordinates of flat index `index` in `shape` (last axis fastest).
std::vector<int> Unflatten(int index, const std::vector<int>& shape) {
  std::vector<int> pos(shape.size());
  for (int a = static_cast<int>(shape.size()) - 1; a >= 0; --a) {
    pos[a] = index % shape[a];
    index /= shape[a];
  }
  return pos;
}

int Product(const std::vector<int>& v) {
  int p = 1;
  for (int x : v) p *= x;
  return p;
}

// For each pair (output position o, kernel tap k), the input position they
// meet at, or -1 in the padding. in_shape/out_shape are spatial shapes.
int InputIndex(const std::vector<int>& o, const std::vector<int>& k,
               const std::vector<int>& in_shape, const Geometry& g) {
  int index = 0;
  for (size_t a = 0; a < in_shape.size(); ++a) {
    const int x = o[a] * g.stride[a] - g.pad[a] + k[a] * g.dilation[a];
    if (x < 0 || x >= in_shape[a]) return -1;
    index = index * in_shape[a] + x;
  }
  return index;
}

// Direct convolution of an N x C x spatial... blob (channel axis 1).
// Weight: out_channels x (in_channels / group) x kernel.
void DirectConv(const Blob& in, const Blob& weight, const Blob* bias,
                const Geometry& g, Blob* out) {
  const int num = in.shape(0), in_channels = in.shape(1);
  const int out_channels = out->shape(1);
  const std::vector<int> in_shape(in.shape().begin() + 2, in.shape().end());
  const std::vector<int> out_shape(out->shape().begin() + 2,
                                   out->shape().end());
  const int in_dim = Product(in_shape), out_dim = Product(out_shape);
  const int kernel_count = Product(g.kernel);
  const int in_per_group = in_channels / g.group;
  const int out_per_group = out_channels / g.group;
  const float* x = in.cpu_data();
  const float* w = weight.cpu_data();
  float* y = out->mutable_cpu_data();
  for (int n = 0; n < num; ++n) {
    for (int oc = 0; oc < out_channels; ++oc) {
      const int group = oc / out_per_group;
      for (int o = 0; o < out_dim; ++o) {
        const std::vector<int> o_pos = Unflatten(o, out_shape);
        float sum = bias ? bias->cpu_data()[oc] : 0.f;
        for (int ic = 0; ic < in_per_group; ++ic) {
          const int c = group * in_per_group + ic;
          for (int k = 0; k < kernel_count; ++k) {
            const int i =
                InputIndex(o_pos, Unflatten(k, g.kernel), in_shape, g);
            if (i < 0) continue;
            sum += x[(n * in_channels + c) * in_dim + i] *
                   w[(oc * in_per_group + ic) * kernel_count + k];
          }
        }
        y[(n * out_channels + oc) * out_dim + o] = sum;
      }
    }
  }
}

// Direct transposed convolution: every input value scatters its filter.
// Weight: in_channels x (out_channels / group) x kernel.
void DirectDeconv(const Blob& in, const Blob& weight, const Blob* bias,
                  const Geometry& g, Blob* out) {
  const int num = in.shape(0), in_channels = in.shape(1);
  const int out_channels = out->shape(1);
  const std::vector<int> in_shape(in.shape().begin() + 2, in.shape().end());
  const std::vector<int> out_shape(out->shape().begin() + 2,
                                   out->shape().end());
  const int in_dim = Product(in_shape), out_dim = Product(out_shape);
  const int kernel_count = Product(g.kernel);
  const int in_per_group = in_channels / g.group;
  const int out_per_group = out_channels / g.group;
  const float* x = in.cpu_data();
  const float* w = weight.cpu_data();
  float* y = out->mutable_cpu_data();
  for (int n = 0; n < num; ++n) {
    for (int oc = 0; oc < out_channels; ++oc) {
      for (int o = 0; o < out_dim; ++o) {
        y[(n * out_channels + oc) * out_dim + o] =
            bias ? bias->cpu_data()[oc] : 0.f;
      }
    }
    for (int c = 0; c < in_channels; ++c) {
      const int group = c / in_per_group;
      for (int i = 0; i < in_dim; ++i) {
        const std::vector<int> i_pos = Unflatten(i, in_shape);
        for (int ol = 0; ol < out_per_group; ++ol) {
          const int oc = group * out_per_group + ol;
          for (int k = 0; k < kernel_count; ++k) {
            // Input position i of the deconv is output position i of the
            // convolution it transposes.
            const int o =
                InputIndex(i_pos, Unflatten(k, g.kernel), out_shape, g);
            if (o < 0) continue;
            y[(n * out_channels + oc) * out_dim + o] +=
                x[(n * in_channels + c) * in_dim + i] *
                w[(c * out_per_group + ol) * kernel_count + k];
          }
        }
      }
    }
  }
}

LayerParameter ConvParam(const std::string& type,
                         const std::string& conv_text) {
  LayerParameter param = ParseText<LayerParameter>(
      "name: 'conv' type: '" + type + "' convolution_param { " + conv_text +
      " weight_filler { type: 'gaussian' std: 0.5 }"
      " bias_filler { type: 'gaussian' std: 0.5 } }");
  return param;
}

class ConvolutionLayerTest : public ::testing::Test {
 protected:
  ConvolutionLayerTest() { Crema::set_random_seed(1701); }

  // Sets up a layer on one bottom of `shape` (Gaussian data).
  std::shared_ptr<Layer> SetUp(const LayerParameter& param,
                               const std::vector<int>& shape) {
    bottom_.Reshape(shape);
    FillGaussian(&bottom_);
    auto layer = LayerRegistry::Create(param);
    layer->SetUp({&bottom_}, {&top_});
    return layer;
  }

  // Forward through the layer and compare with the direct computation.
  void CheckForward(const std::string& type, const std::string& conv_text,
                    const std::vector<int>& shape, const Geometry& g,
                    bool bias = true) {
    auto layer = SetUp(ConvParam(type, conv_text), shape);
    layer->Forward({&bottom_}, {&top_});
    Blob expected(top_.shape());
    const Blob* b = bias ? layer->blobs()[1].get() : nullptr;
    if (type == "Convolution") {
      DirectConv(bottom_, *layer->blobs()[0], b, g, &expected);
    } else {
      DirectDeconv(bottom_, *layer->blobs()[0], b, g, &expected);
    }
    for (int i = 0; i < top_.count(); ++i) {
      ASSERT_NEAR(expected.cpu_data()[i], top_.cpu_data()[i], 1e-4)
          << type << " {" << conv_text << "} element " << i;
    }
  }

  // With the default engine and with the reference engine forced.
  void CheckGradient(const std::string& type, const std::string& conv_text,
                     const std::vector<int>& shape) {
    for (const std::string& engine : testing::EnginesUnderTest()) {
      SCOPED_TRACE(type + " {" + conv_text + "} engine " + (engine.empty() ? "default" : engine));
      bottom_.Reshape(shape);
      FillGaussian(&bottom_);
      auto layer = LayerRegistry::Create(testing::WithEngine(ConvParam(type, conv_text), engine));
      GradientChecker checker(1e-2f, 1e-3f);
      checker.CheckGradientExhaustive(layer.get(), {&bottom_}, {&top_});
    }
  }

  void ExpectSetUpError(const LayerParameter& param,
                        const std::vector<int>& shape,
                        const std::string& fragment) {
    bottom_.Reshape(shape);
    try {
      auto layer = LayerRegistry::Create(param);
      layer->SetUp({&bottom_}, {&top_});
      ADD_FAILURE() << "expected an error containing '" << fragment << "'";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos)
          << "message: " << e.what();
      EXPECT_NE(std::string(e.what()).find("layer 'conv'"), std::string::npos)
          << "message: " << e.what();
    }
  }

  Blob bottom_, top_;
};

// ---- shapes ----

TEST_F(ConvolutionLayerTest, OutputShape) {
  auto layer =
      SetUp(ConvParam("Convolution", "num_output: 4 kernel_size: 3 stride: 2"),
            {2, 3, 6, 4});
  EXPECT_EQ((std::vector<int>{2, 4, 2, 1}), top_.shape());
  EXPECT_EQ((std::vector<int>{4, 3, 3, 3}), layer->blobs()[0]->shape());
  EXPECT_EQ((std::vector<int>{4}), layer->blobs()[1]->shape());
}

TEST_F(ConvolutionLayerTest, OutputShapeWithPadDilationAndHWForms) {
  // h: (7 + 2*1 - (2*(3-1)+1)) / 1 + 1 = 5; w: (6 + 0 - 2) / 2 + 1 = 3.
  SetUp(ConvParam("Convolution",
                  "num_output: 2 kernel_h: 3 kernel_w: 2 pad_h: 1 pad_w: 0 "
                  "stride_h: 1 stride_w: 2 dilation: 2 dilation: 1"),
        {1, 3, 7, 6});
  EXPECT_EQ((std::vector<int>{1, 2, 5, 3}), top_.shape());
}

TEST_F(ConvolutionLayerTest, OutputShapeND) {
  auto layer = SetUp(
      ConvParam("Convolution",
                "num_output: 3 kernel_size: 3 kernel_size: 2 kernel_size: 1 "
                "pad: 1 stride: 2"),
      {2, 2, 5, 4, 3});
  // (5+2-3)/2+1 = 3, (4+2-2)/2+1 = 3, (3+2-1)/2+1 = 3
  EXPECT_EQ((std::vector<int>{2, 3, 3, 3, 3}), top_.shape());
  EXPECT_EQ((std::vector<int>{3, 2, 3, 2, 1}), layer->blobs()[0]->shape());
}

TEST_F(ConvolutionLayerTest, OutputShapeWithAxis) {
  // axis 2: the first two axes are batch axes, then 4 channels, then 5x5.
  auto layer =
      SetUp(ConvParam("Convolution", "num_output: 6 kernel_size: 3 axis: 2"),
            {2, 3, 4, 5, 5});
  EXPECT_EQ((std::vector<int>{2, 3, 6, 3, 3}), top_.shape());
  EXPECT_EQ((std::vector<int>{6, 4, 3, 3}), layer->blobs()[0]->shape());
}

TEST_F(ConvolutionLayerTest, GroupedWeightShape) {
  auto layer =
      SetUp(ConvParam("Convolution", "num_output: 6 kernel_size: 1 group: 3"),
            {1, 9, 2, 2});
  EXPECT_EQ((std::vector<int>{6, 3, 1, 1}), layer->blobs()[0]->shape());
}

TEST_F(ConvolutionLayerTest, DefaultFillersAreConstantZero) {
  auto layer = LayerRegistry::Create(ParseText<LayerParameter>(
      "name: 'conv' type: 'Convolution' convolution_param { num_output: 2 "
      "kernel_size: 2 }"));
  bottom_.Reshape({1, 1, 3, 3});
  FillGaussian(&bottom_);
  layer->SetUp({&bottom_}, {&top_});
  EXPECT_EQ(0.f, layer->blobs()[0]->asum_data());
  EXPECT_EQ(0.f, layer->blobs()[1]->asum_data());
}

TEST_F(ConvolutionLayerTest, NoBias) {
  auto layer = SetUp(
      ConvParam("Convolution", "num_output: 2 kernel_size: 2 bias_term: false"),
      {1, 1, 3, 3});
  EXPECT_EQ(1u, layer->blobs().size());
}

// ---- forward ----

// A 3x3 image 1..9, one 2x2 filter [1 2; 3 4] and bias 1:
// out(0,0) = 1*1 + 2*2 + 3*4 + 4*5 + 1 = 38, and so on.
TEST_F(ConvolutionLayerTest, ForwardByHand) {
  LayerParameter param = ParseText<LayerParameter>(
      "name: 'conv' type: 'Convolution' convolution_param { num_output: 1 "
      "kernel_size: 2 bias_filler { type: 'constant' value: 1 } }");
  bottom_.Reshape({1, 1, 3, 3});
  for (int i = 0; i < 9; ++i) bottom_.mutable_cpu_data()[i] = i + 1;
  auto layer = LayerRegistry::Create(param);
  layer->SetUp({&bottom_}, {&top_});
  float* w = layer->blobs()[0]->mutable_cpu_data();
  for (int i = 0; i < 4; ++i) w[i] = i + 1;
  layer->Forward({&bottom_}, {&top_});
  ASSERT_EQ((std::vector<int>{1, 1, 2, 2}), top_.shape());
  EXPECT_EQ((std::vector<float>{38, 48, 68, 78}),
            std::vector<float>(top_.cpu_data(), top_.cpu_data() + 4));
}

// Same image, 3x3 filter of ones, pad 1, stride 2: each output is the sum
// of the image inside its window.
TEST_F(ConvolutionLayerTest, ForwardByHandPadStride) {
  LayerParameter param = ParseText<LayerParameter>(
      "name: 'conv' type: 'Convolution' convolution_param { num_output: 1 "
      "kernel_size: 3 pad: 1 stride: 2 bias_term: false "
      "weight_filler { type: 'constant' value: 1 } }");
  bottom_.Reshape({1, 1, 3, 3});
  for (int i = 0; i < 9; ++i) bottom_.mutable_cpu_data()[i] = i + 1;
  auto layer = LayerRegistry::Create(param);
  layer->SetUp({&bottom_}, {&top_});
  layer->Forward({&bottom_}, {&top_});
  // windows centred at (0,0), (0,2), (2,0), (2,2)
  EXPECT_EQ((std::vector<float>{12, 16, 24, 28}),
            std::vector<float>(top_.cpu_data(), top_.cpu_data() + 4));
}

TEST_F(ConvolutionLayerTest, ForwardMatchesDirect) {
  CheckForward("Convolution", "num_output: 4 kernel_size: 3", {2, 3, 6, 5},
               {{3, 3}, {1, 1}, {0, 0}, {1, 1}});
  CheckForward("Convolution", "num_output: 3 kernel_size: 3 stride: 2 pad: 1",
               {2, 2, 7, 6}, {{3, 3}, {2, 2}, {1, 1}, {1, 1}});
  CheckForward("Convolution",
               "num_output: 2 kernel_h: 2 kernel_w: 3 stride_h: 1 stride_w: 2 "
               "pad_h: 0 pad_w: 1",
               {1, 3, 5, 6}, {{2, 3}, {1, 2}, {0, 1}, {1, 1}});
  CheckForward("Convolution", "num_output: 2 kernel_size: 3 dilation: 2 pad: 1",
               {1, 2, 7, 7}, {{3, 3}, {1, 1}, {1, 1}, {2, 2}});
  CheckForward("Convolution", "num_output: 2 kernel_size: 2 bias_term: false",
               {1, 2, 4, 4}, {{2, 2}, {1, 1}, {0, 0}, {1, 1}}, false);
}

TEST_F(ConvolutionLayerTest, ForwardGroupsAndDepthwise) {
  Geometry g{{3, 3}, {1, 1}, {1, 1}, {1, 1}, 2};
  CheckForward("Convolution", "num_output: 4 kernel_size: 3 pad: 1 group: 2",
               {2, 4, 5, 5}, g);
  g.group = 3;
  CheckForward("Convolution", "num_output: 3 kernel_size: 3 pad: 1 group: 3",
               {1, 3, 4, 5}, g);  // depthwise
  CheckForward("Convolution", "num_output: 6 kernel_size: 3 pad: 1 group: 3",
               {1, 3, 4, 5}, g);  // depthwise, two filters per channel
}

TEST_F(ConvolutionLayerTest, Forward1x1SkipsIm2col) {
  CheckForward("Convolution", "num_output: 5 kernel_size: 1", {2, 3, 4, 3},
               {{1, 1}, {1, 1}, {0, 0}, {1, 1}});
  CheckForward("Convolution", "num_output: 4 kernel_size: 1 group: 2",
               {2, 4, 3, 3}, {{1, 1}, {1, 1}, {0, 0}, {1, 1}, 2});
  // Stride 2 is not 1x1 in Caffe's sense: it goes through im2col.
  CheckForward("Convolution", "num_output: 2 kernel_size: 1 stride: 2",
               {1, 3, 5, 5}, {{1, 1}, {2, 2}, {0, 0}, {1, 1}});
}

TEST_F(ConvolutionLayerTest, Forward3D) {
  CheckForward("Convolution",
               "num_output: 3 kernel_size: 3 kernel_size: 2 kernel_size: 2 "
               "pad: 1 stride: 2 stride: 1 stride: 1",
               {2, 2, 5, 4, 3}, {{3, 2, 2}, {2, 1, 1}, {1, 1, 1}, {1, 1, 1}});
  CheckForward(
      "Convolution", "num_output: 2 kernel_size: 2 dilation: 2 group: 2",
      {1, 2, 5, 5, 4}, {{2, 2, 2}, {1, 1, 1}, {0, 0, 0}, {2, 2, 2}, 2});
}

// force_nd_im2col takes the N-D path for 2-D input; the result is the same.
TEST_F(ConvolutionLayerTest, ForceNDIm2colMatches2D) {
  const std::string text =
      "num_output: 3 kernel_size: 3 pad: 1 stride: 2 dilation: 1";
  SetUp(ConvParam("Convolution", text), {2, 2, 6, 5});
  Crema::set_random_seed(5);
  auto a = LayerRegistry::Create(ConvParam("Convolution", text));
  a->SetUp({&bottom_}, {&top_});
  a->Forward({&bottom_}, {&top_});
  std::vector<float> out_2d(top_.cpu_data(), top_.cpu_data() + top_.count());
  Crema::set_random_seed(5);
  auto b = LayerRegistry::Create(
      ConvParam("Convolution", text + " force_nd_im2col: true"));
  b->SetUp({&bottom_}, {&top_});
  b->Forward({&bottom_}, {&top_});
  for (int i = 0; i < top_.count(); ++i)
    EXPECT_NEAR(out_2d[i], top_.cpu_data()[i], 1e-5);
}

// axis 2 on (2, 3, 4, 5, 5) is the same as axis 1 on (6, 4, 5, 5).
TEST_F(ConvolutionLayerTest, ForwardWithAxis) {
  auto layer =
      SetUp(ConvParam("Convolution", "num_output: 2 kernel_size: 3 axis: 2"),
            {2, 3, 4, 5, 5});
  layer->Forward({&bottom_}, {&top_});
  Blob flat(std::vector<int>{6, 4, 5, 5});
  flat.CopyFrom(bottom_);
  Blob expected(std::vector<int>{6, 2, 3, 3});
  DirectConv(flat, *layer->blobs()[0], layer->blobs()[1].get(),
             {{3, 3}, {1, 1}, {0, 0}, {1, 1}}, &expected);
  for (int i = 0; i < top_.count(); ++i) {
    EXPECT_NEAR(expected.cpu_data()[i], top_.cpu_data()[i], 1e-4);
  }
}

// Two bottom/top pairs share the weights; each top is its own bottom's conv.
TEST_F(ConvolutionLayerTest, MultipleBottomsShareWeights) {
  Blob bottom2(std::vector<int>{2, 2, 4, 3}), top2;
  bottom_.Reshape({2, 2, 4, 3});
  FillGaussian(&bottom_);
  FillGaussian(&bottom2);
  auto layer = LayerRegistry::Create(
      ConvParam("Convolution", "num_output: 2 kernel_size: 2"));
  layer->SetUp({&bottom_, &bottom2}, {&top_, &top2});
  layer->Forward({&bottom_, &bottom2}, {&top_, &top2});
  const Geometry g{{2, 2}, {1, 1}, {0, 0}, {1, 1}};
  Blob expected(top_.shape());
  DirectConv(bottom2, *layer->blobs()[0], layer->blobs()[1].get(), g,
             &expected);
  for (int i = 0; i < top2.count(); ++i) {
    EXPECT_NEAR(expected.cpu_data()[i], top2.cpu_data()[i], 1e-4);
  }
  for (const std::string& engine : testing::EnginesUnderTest()) {
    SCOPED_TRACE("engine " + (engine.empty() ? std::string("default") : engine));
    auto checked = LayerRegistry::Create(
        testing::WithEngine(ConvParam("Convolution", "num_output: 2 kernel_size: 2"), engine));
    GradientChecker checker(1e-2f, 1e-3f);
    checker.CheckGradientExhaustive(checked.get(), {&bottom_, &bottom2}, {&top_, &top2});
  }
}

// ---- gradients ----

TEST_F(ConvolutionLayerTest, Gradient) {
  CheckGradient("Convolution", "num_output: 2 kernel_size: 3", {2, 3, 5, 4});
  CheckGradient("Convolution", "num_output: 2 kernel_size: 3 stride: 2 pad: 1",
                {2, 2, 5, 5});
  CheckGradient("Convolution", "num_output: 2 kernel_size: 2 bias_term: false",
                {1, 2, 4, 3});
}

TEST_F(ConvolutionLayerTest, GradientRectangularAndDilated) {
  CheckGradient("Convolution",
                "num_output: 2 kernel_h: 3 kernel_w: 2 stride_h: 2 stride_w: 1 "
                "pad_h: 1 pad_w: 0",
                {1, 2, 5, 4});
  CheckGradient("Convolution",
                "num_output: 2 kernel_size: 2 dilation: 2 pad: 1",
                {1, 2, 5, 5});
}

TEST_F(ConvolutionLayerTest, GradientGroups) {
  CheckGradient("Convolution", "num_output: 4 kernel_size: 3 pad: 1 group: 2",
                {1, 4, 4, 3});
  CheckGradient("Convolution", "num_output: 3 kernel_size: 3 pad: 1 group: 3",
                {2, 3, 4, 4});
}

TEST_F(ConvolutionLayerTest, Gradient1x1) {
  CheckGradient("Convolution", "num_output: 3 kernel_size: 1", {2, 4, 3, 3});
  CheckGradient("Convolution", "num_output: 2 kernel_size: 1 group: 2",
                {1, 4, 3, 2});
}

TEST_F(ConvolutionLayerTest, Gradient3D) {
  CheckGradient("Convolution", "num_output: 2 kernel_size: 2 pad: 1 stride: 2",
                {1, 2, 3, 4, 3});
  CheckGradient("Convolution",
                "num_output: 2 kernel_size: 2 force_nd_im2col: true",
                {1, 2, 3, 3});
}

TEST_F(ConvolutionLayerTest, GradientWithAxis) {
  CheckGradient("Convolution", "num_output: 2 kernel_size: 2 axis: 2",
                {2, 1, 2, 3, 3});
}

// Parameter gradients accumulate (the solver clears them).
TEST_F(ConvolutionLayerTest, ParamDiffsAccumulate) {
  auto layer = SetUp(ConvParam("Convolution", "num_output: 2 kernel_size: 2"),
                     {1, 2, 3, 3});
  layer->Forward({&bottom_}, {&top_});
  FillGaussian(&top_);
  cpu_copy(top_.count(), top_.cpu_data(), top_.mutable_cpu_diff());
  for (auto& b : layer->blobs()) cpu_zero(b->count(), b->mutable_cpu_diff());
  layer->Forward({&bottom_}, {&top_});
  cpu_copy(top_.count(), top_.cpu_data(), top_.mutable_cpu_diff());
  layer->Backward({&top_}, {true}, {&bottom_});
  std::vector<float> once(
      layer->blobs()[0]->cpu_diff(),
      layer->blobs()[0]->cpu_diff() + layer->blobs()[0]->count());
  const float bias_once = layer->blobs()[1]->cpu_diff()[0];
  layer->Backward({&top_}, {true}, {&bottom_});
  for (size_t i = 0; i < once.size(); ++i) {
    EXPECT_NEAR(2 * once[i], layer->blobs()[0]->cpu_diff()[i], 1e-4);
  }
  EXPECT_NEAR(2 * bias_once, layer->blobs()[1]->cpu_diff()[0], 1e-4);
}

// ---- errors ----

TEST_F(ConvolutionLayerTest, Errors) {
  ExpectSetUpError(
      ConvParam("Convolution", "num_output: 4 kernel_size: 3 group: 2"),
      {1, 3, 5, 5}, "multiple of group");
  ExpectSetUpError(
      ConvParam("Convolution", "num_output: 3 kernel_size: 3 group: 2"),
      {1, 4, 5, 5}, "num_output (3) must be a multiple of group (2)");
  ExpectSetUpError(ConvParam("Convolution", "num_output: 2"), {1, 1, 5, 5},
                   "kernel_size must be given once");
  ExpectSetUpError(
      ConvParam("Convolution", "num_output: 2 kernel_size: 2 kernel_size: 2"),
      {1, 1, 4, 4, 4}, "once per spatial axis");
  ExpectSetUpError(
      ConvParam("Convolution", "num_output: 2 kernel_h: 2 kernel_w: 2"),
      {1, 1, 4, 4, 4}, "only be used for 2-D");
  ExpectSetUpError(
      ConvParam("Convolution",
                "num_output: 2 kernel_size: 2 kernel_h: 2 kernel_w: 2"),
      {1, 1, 4, 4}, "not both");
  ExpectSetUpError(ConvParam("Convolution", "num_output: 2 kernel_h: 2"),
                   {1, 1, 4, 4}, "kernel dimensions must be nonzero");
  ExpectSetUpError(
      ConvParam("Convolution", "num_output: 2 kernel_size: 2 stride: 0"),
      {1, 1, 4, 4}, "stride dimensions must be nonzero");
  ExpectSetUpError(
      ConvParam("Convolution", "num_output: 2 kernel_size: 2 pad: 1 pad_h: 1"),
      {1, 1, 4, 4}, "not both");
  ExpectSetUpError(ConvParam("Convolution", "kernel_size: 2"), {1, 1, 4, 4},
                   "num_output must be positive");
  ExpectSetUpError(ConvParam("Convolution", "num_output: 1 kernel_size: 5"),
                   {1, 1, 4, 4}, "must be positive");
}

TEST_F(ConvolutionLayerTest, BottomShapesMustAgree) {
  Blob bottom2(std::vector<int>{1, 2, 4, 5}), top2;
  bottom_.Reshape({1, 2, 4, 4});
  auto layer = LayerRegistry::Create(
      ConvParam("Convolution", "num_output: 2 kernel_size: 2"));
  try {
    layer->SetUp({&bottom_, &bottom2}, {&top_, &top2});
    ADD_FAILURE() << "expected a shape error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("same shape"), std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find(bottom2.shape_string()),
              std::string::npos)
        << e.what();
  }
}

TEST_F(ConvolutionLayerTest, LoadedWeightsAreCheckedNotFilled) {
  LayerParameter param =
      ConvParam("Convolution", "num_output: 2 kernel_size: 2");
  Blob weight(std::vector<int>{2, 3, 2, 2}), bias(std::vector<int>{2});
  FillGaussian(&weight);
  FillGaussian(&bias);
  weight.ToProto(param.add_blobs());
  bias.ToProto(param.add_blobs());
  auto layer = SetUp(param, {1, 3, 3, 3});
  for (int i = 0; i < weight.count(); ++i) {
    EXPECT_EQ(weight.cpu_data()[i], layer->blobs()[0]->cpu_data()[i]);
  }
  // The same weights do not fit 4 input channels.
  ExpectSetUpError(param, {1, 4, 3, 3}, "weight blob has shape");
}

// ---- Deconvolution ----

TEST_F(ConvolutionLayerTest, DeconvOutputShape) {
  // stride * (in - 1) + (dilation * (k - 1) + 1) - 2 * pad
  auto layer = SetUp(
      ConvParam("Deconvolution", "num_output: 4 kernel_size: 3 stride: 2"),
      {2, 3, 6, 4});
  EXPECT_EQ((std::vector<int>{2, 4, 13, 9}), top_.shape());
  EXPECT_EQ((std::vector<int>{3, 4, 3, 3}), layer->blobs()[0]->shape());
  SetUp(ConvParam("Deconvolution",
                  "num_output: 2 kernel_size: 4 stride: 2 pad: 1 dilation: 2"),
        {1, 2, 3, 5});
  // 2*2 + 7 - 2 = 9, 2*4 + 7 - 2 = 13
  EXPECT_EQ((std::vector<int>{1, 2, 9, 13}), top_.shape());
  auto grouped =
      SetUp(ConvParam("Deconvolution", "num_output: 6 kernel_size: 2 group: 2"),
            {1, 4, 2, 2});
  EXPECT_EQ((std::vector<int>{4, 3, 2, 2}), grouped->blobs()[0]->shape());
}

// One input pixel of value 2 scatters 2 * filter into the output.
TEST_F(ConvolutionLayerTest, DeconvForwardByHand) {
  LayerParameter param = ParseText<LayerParameter>(
      "name: 'conv' type: 'Deconvolution' convolution_param { num_output: 1 "
      "kernel_size: 2 stride: 2 bias_term: false }");
  bottom_.Reshape({1, 1, 1, 2});
  bottom_.mutable_cpu_data()[0] = 2;
  bottom_.mutable_cpu_data()[1] = -1;
  auto layer = LayerRegistry::Create(param);
  layer->SetUp({&bottom_}, {&top_});
  float* w = layer->blobs()[0]->mutable_cpu_data();
  for (int i = 0; i < 4; ++i) w[i] = i + 1;  // [1 2; 3 4]
  layer->Forward({&bottom_}, {&top_});
  ASSERT_EQ((std::vector<int>{1, 1, 2, 4}), top_.shape());
  EXPECT_EQ((std::vector<float>{2, 4, -1, -2, 6, 8, -3, -4}),
            std::vector<float>(top_.cpu_data(), top_.cpu_data() + 8));
}

TEST_F(ConvolutionLayerTest, DeconvForwardMatchesDirect) {
  CheckForward("Deconvolution", "num_output: 3 kernel_size: 3 stride: 2",
               {2, 2, 3, 4}, {{3, 3}, {2, 2}, {0, 0}, {1, 1}});
  CheckForward("Deconvolution", "num_output: 2 kernel_size: 4 stride: 2 pad: 1",
               {1, 3, 3, 3}, {{4, 4}, {2, 2}, {1, 1}, {1, 1}});
  CheckForward("Deconvolution",
               "num_output: 4 kernel_size: 3 dilation: 2 group: 2",
               {1, 2, 3, 3}, {{3, 3}, {1, 1}, {0, 0}, {2, 2}, 2});
  CheckForward("Deconvolution", "num_output: 2 kernel_size: 1", {1, 3, 3, 2},
               {{1, 1}, {1, 1}, {0, 0}, {1, 1}});
  CheckForward("Deconvolution", "num_output: 2 kernel_size: 2 stride: 2",
               {1, 2, 2, 3, 2}, {{2, 2, 2}, {2, 2, 2}, {0, 0, 0}, {1, 1, 1}});
}

TEST_F(ConvolutionLayerTest, DeconvGradient) {
  CheckGradient("Deconvolution", "num_output: 2 kernel_size: 3 stride: 2",
                {2, 2, 3, 2});
  CheckGradient(
      "Deconvolution",
      "num_output: 2 kernel_size: 4 stride: 2 pad: 1 bias_term: false",
      {1, 2, 2, 3});
  CheckGradient("Deconvolution",
                "num_output: 4 kernel_size: 2 group: 2 dilation: 2",
                {1, 2, 3, 3});
  CheckGradient("Deconvolution", "num_output: 2 kernel_size: 1", {1, 3, 2, 3});
  CheckGradient("Deconvolution", "num_output: 2 kernel_size: 2 stride: 2",
                {1, 1, 2, 2, 2});
}

}  // namespace
}  // namespace crema
