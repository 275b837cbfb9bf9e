// Net::ShareActivationMemory: inference nets reuse the buffers of dead
// activations, and give the same outputs as a net that keeps them all.
#include <gtest/gtest.h>

#include <set>

#include "crema/net.hpp"
#include "support/test_util.hpp"

namespace crema {
namespace {

using testing::ParseText;

// A chain with an in-place ReLU, a Split (conv1 feeds two branches),
// a Flatten view and a Concat, so buffers alias and branches overlap.
const char* kNet = R"(
  name: "sharing"
  state { phase: TEST }
  layer { name: "data" type: "Input" top: "data"
          input_param { shape { dim: 2 dim: 3 dim: 12 dim: 12 } } }
  layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
          convolution_param { num_output: 8 kernel_size: 3 pad: 1
                              weight_filler { type: "gaussian" std: 0.1 }
                              bias_filler { type: "constant" value: 0.1 } } }
  layer { name: "relu1" type: "ReLU" bottom: "conv1" top: "conv1" }
  layer { name: "conv2a" type: "Convolution" bottom: "conv1" top: "conv2a"
          convolution_param { num_output: 4 kernel_size: 3 pad: 1
                              weight_filler { type: "gaussian" std: 0.1 } } }
  layer { name: "conv2b" type: "Convolution" bottom: "conv1" top: "conv2b"
          convolution_param { num_output: 4 kernel_size: 1
                              weight_filler { type: "gaussian" std: 0.1 } } }
  layer { name: "cat" type: "Concat" bottom: "conv2a" bottom: "conv2b" top: "cat" }
  layer { name: "pool" type: "Pooling" bottom: "cat" top: "pool"
          pooling_param { pool: MAX kernel_size: 2 stride: 2 } }
  layer { name: "conv3" type: "Convolution" bottom: "pool" top: "conv3"
          convolution_param { num_output: 6 kernel_size: 3 pad: 1
                              weight_filler { type: "gaussian" std: 0.1 } } }
  layer { name: "flat" type: "Flatten" bottom: "conv3" top: "flat" }
  layer { name: "ip" type: "InnerProduct" bottom: "flat" top: "ip"
          inner_product_param { num_output: 5
                                weight_filler { type: "gaussian" std: 0.1 } } }
  layer { name: "prob" type: "Softmax" bottom: "ip" top: "prob" }
)";

// Two nets with the same weights and input; `shared` shares activations.
struct Pair {
  explicit Pair(const std::vector<std::string>& keep = {})
      : plain(ParseText<NetParameter>(kNet)), shared(ParseText<NetParameter>(kNet)) {
    NetParameter weights;
    plain.ToProto(&weights);
    shared.CopyTrainedLayersFrom(weights);
    shared.ShareActivationMemory(keep);
    testing::FillGaussian(plain.input_blobs()[0]);
    shared.input_blobs()[0]->CopyFrom(*plain.input_blobs()[0]);
  }
  Net plain;
  Net shared;
};

void ExpectSameBlob(const Blob& a, const Blob& b) {
  ASSERT_EQ(a.shape(), b.shape());
  for (int i = 0; i < a.count(); ++i) ASSERT_EQ(a.cpu_data()[i], b.cpu_data()[i]) << i;
}

TEST(ActivationSharingTest, OutputsMatchAndMemoryShrinks) {
  Pair nets;
  const size_t before = nets.plain.ActivationBytes();
  EXPECT_TRUE(nets.shared.shares_activation_memory());
  EXPECT_LT(nets.shared.ActivationBytes(), before);
  for (int pass = 0; pass < 2; ++pass) {  // a second pass reuses the buffers
    nets.plain.Forward();
    nets.shared.Forward();
    ExpectSameBlob(*nets.plain.output_blobs()[0], *nets.shared.output_blobs()[0]);
  }
  // The input is kept intact for the next Forward.
  ExpectSameBlob(*nets.plain.input_blobs()[0], *nets.shared.input_blobs()[0]);
}

TEST(ActivationSharingTest, LiveBlobsNeverShareABuffer) {
  Pair nets;
  const Net& net = nets.shared;
  // For every layer, the buffers of its bottoms and tops are distinct
  // unless the layer itself aliases them (in place, Split, Flatten).
  for (int i = 0; i < net.num_layers(); ++i) {
    const std::string type = net.layers()[i]->type();
    if (type == "Split" || type == "Flatten" || type == "ReLU") continue;
    std::set<const SyncedMemory*> seen;
    for (const Blob* b : net.bottom_vecs()[i]) seen.insert(b->data().get());
    for (const Blob* t : net.top_vecs()[i]) {
      EXPECT_FALSE(seen.count(t->data().get()))
          << "layer " << net.layer_names()[i] << " writes a buffer it reads";
    }
  }
}

TEST(ActivationSharingTest, KeptBlobsHoldTheirValues) {
  Pair nets({"conv2b"});
  nets.plain.Forward();
  nets.shared.Forward();
  ExpectSameBlob(*nets.plain.blob_by_name("conv2b"), *nets.shared.blob_by_name("conv2b"));
  ExpectSameBlob(*nets.plain.output_blobs()[0], *nets.shared.output_blobs()[0]);
}

TEST(ActivationSharingTest, ReshapeReplansAndStaysCorrect) {
  Pair nets;
  for (Net* net : {&nets.plain, &nets.shared}) {
    net->input_blobs()[0]->Reshape({5, 3, 12, 12});
    net->Reshape();
  }
  testing::FillGaussian(nets.plain.input_blobs()[0]);
  nets.shared.input_blobs()[0]->CopyFrom(*nets.plain.input_blobs()[0]);
  nets.plain.Forward();
  nets.shared.Forward();
  ExpectSameBlob(*nets.plain.output_blobs()[0], *nets.shared.output_blobs()[0]);
  EXPECT_LT(nets.shared.ActivationBytes(), nets.plain.ActivationBytes());
}

TEST(ActivationSharingTest, ChainNeedsAboutTwoBuffers) {
  // data -> c1 -> c2 -> ... -> c6, every activation the same size: besides
  // the input and the output, two buffers suffice.
  std::string text = R"(name: "chain" layer { name: "data" type: "Input" top: "c0"
      input_param { shape { dim: 1 dim: 4 dim: 16 dim: 16 } } })";
  for (int i = 1; i <= 6; ++i) {
    text += " layer { name: \"c" + std::to_string(i) + "\" type: \"Convolution\" bottom: \"c" +
            std::to_string(i - 1) + "\" top: \"c" + std::to_string(i) +
            "\" convolution_param { num_output: 4 kernel_size: 3 pad: 1 } }";
  }
  Net net(ParseText<NetParameter>(text));
  const size_t one = 4 * 16 * 16 * sizeof(float);
  EXPECT_EQ(7 * one, net.ActivationBytes());
  net.ShareActivationMemory();
  EXPECT_EQ(4 * one, net.ActivationBytes());  // input, output and two in turn
}

TEST(ActivationSharingTest, BackwardIsRefusedAndUnknownKeepIsNamed) {
  Pair nets;
  nets.shared.Forward();
  try {
    nets.shared.Backward();
    FAIL() << "Backward ran on a net that shares activations";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("shares activation memory"), std::string::npos);
  }
  Net other(ParseText<NetParameter>(kNet));
  try {
    other.ShareActivationMemory({"no_such_blob"});
    FAIL() << "an unknown blob name was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no_such_blob"), std::string::npos);
  }
}

}  // namespace
}  // namespace crema
