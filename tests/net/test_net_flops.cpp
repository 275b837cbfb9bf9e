// The FLOP model of tools/time, checked against counts worked out by hand on
// small nets, and the rewrite that turns a deploy net's outputs into a loss.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "crema/net_flops.hpp"
#include "support/test_util.hpp"

namespace crema {
namespace {

using testing::ParseText;

// data 2x3x8x8 -> conv (4 maps, 3x3) 2x4x6x6 -> ip (10 outputs) 2x10.
const char kConvIp[] = R"(
  name: 'small'
  layer { name: 'data' type: 'Input' top: 'data'
          input_param { shape { dim: 2 dim: 3 dim: 8 dim: 8 } } }
  layer { name: 'conv' type: 'Convolution' bottom: 'data' top: 'conv'
          convolution_param { num_output: 4 kernel_size: 3 } }
  layer { name: 'relu' type: 'ReLU' bottom: 'conv' top: 'conv' }
  layer { name: 'ip' type: 'InnerProduct' bottom: 'conv' top: 'ip'
          inner_product_param { num_output: 10 } }
)";

// conv: 4 x 3 x 3 x 3 = 108 weights at 6 x 6 positions of 2 images.
constexpr double kConvFlops = 2.0 * 108 * 36 * 2;
// ip: 10 x 144 = 1440 weights, 2 rows.
constexpr double kIpFlops = 2.0 * 1440 * 2;

TEST(NetFlops, ConvolutionAndInnerProductForward) {
  Net net(ParseText<NetParameter>(kConvIp));
  const std::vector<double> flops = LayerForwardFlops(net);
  ASSERT_EQ(flops.size(), 4u);
  EXPECT_EQ(flops[0], 0.0);  // Input
  EXPECT_EQ(flops[1], kConvFlops);
  EXPECT_EQ(flops[2], 0.0);  // ReLU
  EXPECT_EQ(flops[3], kIpFlops);
  EXPECT_EQ(IterationFlops(net, /*forward_only=*/true), kConvFlops + kIpFlops);
}

TEST(NetFlops, BackwardAddsAPassPerGradient) {
  NetParameter param = OutputsAsLoss(ParseText<NetParameter>(kConvIp));
  Net net(param);
  // conv: forward and weight gradient; its bottom is the net's input.
  EXPECT_EQ(LayerPasses(net, 1, false), 2);
  // ip: forward, weight gradient and bottom gradient.
  EXPECT_EQ(LayerPasses(net, 3, false), 3);
  EXPECT_EQ(LayerPasses(net, 3, true), 1);
  EXPECT_EQ(IterationFlops(net, false), 2 * kConvFlops + 3 * kIpFlops);
}

TEST(NetFlops, DeconvolutionCountsItsInputPositions) {
  // 2 in x 3 out x 2 x 2 = 24 weights over 3 x 3 input positions, 1 image.
  Net net(ParseText<NetParameter>(R"(
    layer { name: 'data' type: 'Input' top: 'data'
            input_param { shape { dim: 1 dim: 2 dim: 3 dim: 3 } } }
    layer { name: 'up' type: 'Deconvolution' bottom: 'data' top: 'up'
            convolution_param { num_output: 3 kernel_size: 2 stride: 2 } }
  )"));
  EXPECT_EQ(LayerForwardFlops(net)[1], 2.0 * 24 * 9);
}

TEST(NetFlops, OutputsAsLossWeighsOnlyTheOutputs) {
  const NetParameter param = OutputsAsLoss(ParseText<NetParameter>(kConvIp));
  ASSERT_EQ(param.layer_size(), 4);
  EXPECT_EQ(param.layer(0).loss_weight_size(), 0);  // Input
  EXPECT_EQ(param.layer(1).loss_weight_size(), 0);  // conv: read by relu
  EXPECT_EQ(param.layer(2).loss_weight_size(), 0);  // relu: read by ip
  ASSERT_EQ(param.layer(3).loss_weight_size(), 1);
  EXPECT_EQ(param.layer(3).loss_weight(0), 1.f);
  // A net that has a loss keeps it alone.
  NetParameter with_loss = ParseText<NetParameter>(kConvIp);
  with_loss.mutable_layer(3)->add_loss_weight(0.5f);
  const NetParameter kept = OutputsAsLoss(with_loss);
  EXPECT_EQ(kept.SerializeAsString(), with_loss.SerializeAsString());
}

TEST(NetFlops, SetInputBatch) {
  NetParameter param = ParseText<NetParameter>(kConvIp);
  SetInputBatch(5, &param);
  EXPECT_EQ(param.layer(0).input_param().shape(0).dim(0), 5);
  EXPECT_EQ(param.layer(0).input_param().shape(0).dim(1), 3);
  Net net(param);
  EXPECT_EQ(LayerForwardFlops(net)[1], kConvFlops / 2 * 5);
}

}  // namespace
}  // namespace crema
