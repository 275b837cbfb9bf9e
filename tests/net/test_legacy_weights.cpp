// Weights stored in Caffe's older formats (V0 and V1 caffemodels, with their
// legacy 4-D blob shapes) and weights in files over protobuf's default 64 MB
// limit, loaded into current-format nets.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "crema/blob.hpp"
#include "crema/common.hpp"
#include "crema/io/proto_io.hpp"
#include "crema/io/upgrade_proto.hpp"
#include "crema/net.hpp"
#include "crema/proto/crema.pb.h"
#include "support/test_util.hpp"

namespace crema {
namespace {

namespace fs = std::filesystem;
using testing::ParseText;

class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = fs::temp_directory_path() /
            StrCat("crema_legacy_weights_", ::getpid(), "_", counter++);
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

// A current-format deploy net: 1x1x4x4 input, 3x3 convolution with 2
// outputs (2x2x2 = 8 values), ReLU, InnerProduct with 3 outputs, Softmax.
// The fillers leave every weight 0, so weights that were not copied show.
const char* kDeployNet = R"(
  name: "legacy_target"
  layer { name: "data" type: "Input" top: "data"
          input_param { shape { dim: 1 dim: 1 dim: 4 dim: 4 } } }
  layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
          convolution_param { num_output: 2 kernel_size: 3 } }
  layer { name: "relu1" type: "ReLU" bottom: "conv1" top: "conv1" }
  layer { name: "ip1" type: "InnerProduct" bottom: "conv1" top: "ip1"
          inner_product_param { num_output: 3 } }
  layer { name: "prob" type: "Softmax" bottom: "ip1" top: "prob" })";

struct Weights {
  std::vector<float> conv_w = std::vector<float>(2 * 1 * 3 * 3);
  std::vector<float> conv_b = std::vector<float>(2);
  std::vector<float> ip_w = std::vector<float>(3 * 8);
  std::vector<float> ip_b = std::vector<float>(3);
  Weights() {
    for (size_t i = 0; i < conv_w.size(); ++i) conv_w[i] = 0.1f * (static_cast<int>(i) - 7);
    conv_b = {0.25f, -0.5f};
    for (size_t i = 0; i < ip_w.size(); ++i) ip_w[i] = 0.05f * (static_cast<int>(i % 7) - 3);
    ip_b = {0.1f, -0.2f, 0.3f};
  }
};

void SetLegacyBlob(BlobProto* blob, int num, int channels, int height, int width,
                   const std::vector<float>& values) {
  blob->set_num(num);
  blob->set_channels(channels);
  blob->set_height(height);
  blob->set_width(width);
  for (float v : values) blob->add_data(v);
}

void SetShapedBlob(BlobProto* blob, const std::vector<int>& dims,
                   const std::vector<float>& values) {
  for (int d : dims) blob->mutable_shape()->add_dim(d);
  for (float v : values) blob->add_data(v);
}

// As Caffe wrote weights before 2015: 'layers' with enum types, every blob
// in the 4-D num/channels/height/width form (bias 1x1x1xO, IP weights 1x1xOxI).
NetParameter V1Caffemodel(const Weights& w) {
  NetParameter net;
  net.set_name("legacy_v1");
  V1LayerParameter* conv = net.add_layers();
  conv->set_name("conv1");
  conv->set_type(V1LayerParameter::CONVOLUTION);
  conv->add_bottom("data");
  conv->add_top("conv1");
  conv->mutable_convolution_param()->set_num_output(2);
  conv->mutable_convolution_param()->add_kernel_size(3);
  SetLegacyBlob(conv->add_blobs(), 2, 1, 3, 3, w.conv_w);
  SetLegacyBlob(conv->add_blobs(), 1, 1, 1, 2, w.conv_b);
  V1LayerParameter* relu = net.add_layers();
  relu->set_name("relu1");
  relu->set_type(V1LayerParameter::RELU);
  relu->add_bottom("conv1");
  relu->add_top("conv1");
  V1LayerParameter* ip = net.add_layers();
  ip->set_name("ip1");
  ip->set_type(V1LayerParameter::INNER_PRODUCT);
  ip->add_bottom("conv1");
  ip->add_top("ip1");
  ip->mutable_inner_product_param()->set_num_output(3);
  SetLegacyBlob(ip->add_blobs(), 1, 1, 3, 8, w.ip_w);
  SetLegacyBlob(ip->add_blobs(), 1, 1, 1, 3, w.ip_b);
  return net;
}

// Caffe's first format: 'layers { layer { type: "conv" ... } }'.
NetParameter V0Caffemodel(const Weights& w) {
  NetParameter net;
  net.set_name("legacy_v0");
  net.add_input("data");
  for (int dim : {1, 1, 4, 4}) net.add_input_dim(dim);
  V1LayerParameter* conv = net.add_layers();
  conv->add_bottom("data");
  conv->add_top("conv1");
  V0LayerParameter* conv0 = conv->mutable_layer();
  conv0->set_name("conv1");
  conv0->set_type("conv");
  conv0->set_num_output(2);
  conv0->set_kernelsize(3);
  SetLegacyBlob(conv0->add_blobs(), 2, 1, 3, 3, w.conv_w);
  SetLegacyBlob(conv0->add_blobs(), 1, 1, 1, 2, w.conv_b);
  V1LayerParameter* relu = net.add_layers();
  relu->add_bottom("conv1");
  relu->add_top("conv1");
  relu->mutable_layer()->set_name("relu1");
  relu->mutable_layer()->set_type("relu");
  V1LayerParameter* ip = net.add_layers();
  ip->add_bottom("conv1");
  ip->add_top("ip1");
  V0LayerParameter* ip0 = ip->mutable_layer();
  ip0->set_name("ip1");
  ip0->set_type("innerproduct");
  ip0->set_num_output(3);
  SetLegacyBlob(ip0->add_blobs(), 1, 1, 3, 8, w.ip_w);
  SetLegacyBlob(ip0->add_blobs(), 1, 1, 1, 3, w.ip_b);
  return net;
}

NetParameter CurrentCaffemodel(const Weights& w) {
  NetParameter net;
  net.set_name("current");
  LayerParameter* conv = net.add_layer();
  conv->set_name("conv1");
  conv->set_type("Convolution");
  SetShapedBlob(conv->add_blobs(), {2, 1, 3, 3}, w.conv_w);
  SetShapedBlob(conv->add_blobs(), {2}, w.conv_b);
  LayerParameter* ip = net.add_layer();
  ip->set_name("ip1");
  ip->set_type("InnerProduct");
  SetShapedBlob(ip->add_blobs(), {3, 8}, w.ip_w);
  SetShapedBlob(ip->add_blobs(), {3}, w.ip_b);
  return net;
}

std::vector<float> Values(const Blob& blob) {
  return std::vector<float>(blob.cpu_data(), blob.cpu_data() + blob.count());
}

// Loads the weights file into a fresh deploy net and returns prob for a fixed input.
std::vector<float> ForwardWith(const std::string& weights_file, const Weights& expected) {
  Net net(ParseText<NetParameter>(kDeployNet));
  net.CopyTrainedLayersFrom(weights_file);
  const auto& conv = net.layer_by_name("conv1")->blobs();
  const auto& ip = net.layer_by_name("ip1")->blobs();
  EXPECT_EQ(conv.size(), 2u);
  EXPECT_EQ(ip.size(), 2u);
  if (conv.size() != 2 || ip.size() != 2) return {};
  // The net's shapes stay current; the values are the file's.
  EXPECT_EQ(conv[0]->shape(), (std::vector<int>{2, 1, 3, 3}));
  EXPECT_EQ(conv[1]->shape(), (std::vector<int>{2}));
  EXPECT_EQ(ip[0]->shape(), (std::vector<int>{3, 8}));
  EXPECT_EQ(ip[1]->shape(), (std::vector<int>{3}));
  EXPECT_EQ(Values(*conv[0]), expected.conv_w);
  EXPECT_EQ(Values(*conv[1]), expected.conv_b);
  EXPECT_EQ(Values(*ip[0]), expected.ip_w);
  EXPECT_EQ(Values(*ip[1]), expected.ip_b);

  Blob* data = net.blob_by_name("data").get();
  for (int i = 0; i < data->count(); ++i) {
    data->mutable_cpu_data()[i] = 0.3f * ((i * 5) % 11) - 1.f;
  }
  net.Forward();
  return Values(*net.blob_by_name("prob"));
}

TEST(LegacyWeights, V1AndV0CaffemodelsLoadIntoACurrentNet) {
  TempDir dir;
  const Weights weights;
  WriteProtoToBinaryFile(CurrentCaffemodel(weights), dir / "current.caffemodel");
  WriteProtoToBinaryFile(V1Caffemodel(weights), dir / "v1.caffemodel");
  WriteProtoToBinaryFile(V0Caffemodel(weights), dir / "v0.caffemodel");

  const std::vector<float> reference = ForwardWith(dir / "current.caffemodel", weights);
  ASSERT_EQ(reference.size(), 3u);
  // Zero weights would give the uniform 1/3: the check below means something.
  EXPECT_GT(std::abs(reference[0] - reference[1]), 1e-3f);
  for (const char* name : {"v1.caffemodel", "v0.caffemodel"}) {
    SCOPED_TRACE(name);
    EXPECT_EQ(ForwardWith(dir / name, weights), reference);
  }
}

TEST(LegacyWeights, LegacyShapesThatDoNotFitAreErrorsNamingTheLayer) {
  TempDir dir;
  const Weights weights;
  NetParameter v1 = V1Caffemodel(weights);
  // IP weights stored as 1x1x8x3 (transposed): same count, other shape.
  BlobProto* ip_w = v1.mutable_layers(2)->mutable_blobs(0);
  ip_w->set_height(8);
  ip_w->set_width(3);
  WriteProtoToBinaryFile(v1, dir / "bad.caffemodel");
  Net net(ParseText<NetParameter>(kDeployNet));
  try {
    net.CopyTrainedLayersFrom(dir / "bad.caffemodel");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("'ip1'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("1 x 1 x 8 x 3"), std::string::npos) << msg;
    EXPECT_NE(msg.find("3 x 8"), std::string::npos) << msg;
  }
}

// One InnerProduct weight blob of 18M floats: the file (~72 MB) is over
// protobuf's default 64 MB limit for one message.
TEST(LargeWeights, CaffemodelOver64MBReadsBack) {
  constexpr int kInputs = 4500;
  constexpr int kOutputs = 4000;
  constexpr size_t kCount = static_cast<size_t>(kInputs) * kOutputs;
  const auto value = [](size_t i) { return 0.001f * static_cast<float>(i % 997) - 0.5f; };

  TempDir dir;
  const std::string path = dir / "big.caffemodel";
  {
    NetParameter param;
    param.set_name("big");
    LayerParameter* ip = param.add_layer();
    ip->set_name("fc");
    ip->set_type("InnerProduct");
    BlobProto* w = ip->add_blobs();
    w->mutable_shape()->add_dim(kOutputs);
    w->mutable_shape()->add_dim(kInputs);
    w->mutable_data()->Resize(static_cast<int>(kCount), 0.f);
    float* data = w->mutable_data()->mutable_data();
    for (size_t i = 0; i < kCount; ++i) data[i] = value(i);
    WriteProtoToBinaryFile(param, path);
  }
  ASSERT_GT(fs::file_size(path), 64u << 20);

  const std::vector<size_t> probes = {0, 1, 996, 997, kCount / 2 + 13, kCount - 1};
  {
    NetParameter read;
    ReadNetParamsFromFile(path, &read);
    ASSERT_EQ(read.layer_size(), 1);
    ASSERT_EQ(read.layer(0).blobs_size(), 1);
    const BlobProto& w = read.layer(0).blobs(0);
    ASSERT_EQ(static_cast<size_t>(w.data_size()), kCount);
    for (size_t i : probes) EXPECT_EQ(w.data(static_cast<int>(i)), value(i)) << "value " << i;
  }

  Net net(ParseText<NetParameter>(StrCat(R"(
    name: "big"
    layer { name: "data" type: "Input" top: "data"
            input_param { shape { dim: 1 dim: )", kInputs, R"( } } }
    layer { name: "fc" type: "InnerProduct" bottom: "data" top: "fc"
            inner_product_param { num_output: )", kOutputs, R"( bias_term: false } })")));
  net.CopyTrainedLayersFrom(path);
  const Blob& w = *net.layer_by_name("fc")->blobs()[0];
  ASSERT_EQ(static_cast<size_t>(w.count()), kCount);
  for (size_t i : probes) EXPECT_EQ(w.cpu_data()[i], value(i)) << "value " << i;
  // A one-hot input picks out one column of the weights.
  Blob* data = net.blob_by_name("data").get();
  std::fill(data->mutable_cpu_data(), data->mutable_cpu_data() + data->count(), 0.f);
  data->mutable_cpu_data()[7] = 1.f;
  net.Forward();
  const Blob& out = *net.blob_by_name("fc");
  for (int o : {0, 1234, kOutputs - 1}) {
    EXPECT_FLOAT_EQ(out.cpu_data()[o], value(static_cast<size_t>(o) * kInputs + 7));
  }
}

}  // namespace
}  // namespace crema
