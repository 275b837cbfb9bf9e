// Caffe's format upgrades, one rule at a time, on small nets written here.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

#include "crema/common.hpp"
#include "crema/io/proto_io.hpp"
#include "crema/io/upgrade_proto.hpp"
#include "support/test_util.hpp"

namespace crema {
namespace {

namespace fs = std::filesystem;
using testing::ParseText;

// Runs f and returns the message of the crema::Error it throws ("" if none).
template <typename F>
std::string ErrorOf(F f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// A fresh folder under the system's temporary directory, removed at the end.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = fs::temp_directory_path() /
            StrCat("crema_upgrade_", ::getpid(), "_", counter++);
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

// Collects the log lines that mention `needle` while it lives.
class LogCapture : public google::LogSink {
 public:
  explicit LogCapture(std::string needle) : needle_(std::move(needle)) {
    saved_level_ = FLAGS_minloglevel;
    FLAGS_minloglevel = 0;
    google::AddLogSink(this);
  }
  ~LogCapture() override {
    google::RemoveLogSink(this);
    FLAGS_minloglevel = saved_level_;
  }
  void send(google::LogSeverity, const char*, const char*, int, const struct ::tm*,
            const char* message, size_t length) override {
    std::string line(message, length);
    std::lock_guard<std::mutex> lock(mu_);
    if (line.find(needle_) != std::string::npos) lines_.push_back(line);
  }
  std::vector<std::string> lines() {
    std::lock_guard<std::mutex> lock(mu_);
    return lines_;
  }

 private:
  std::string needle_;
  int saved_level_;
  std::mutex mu_;
  std::vector<std::string> lines_;
};

// ---------------------------------------------------------------------------
// V0
// ---------------------------------------------------------------------------

TEST(UpgradeV0, FoldsPaddingIntoTheConvolutionItFeeds) {
  NetParameter net = ParseText<NetParameter>(R"(
    input: "data" input_dim: 1 input_dim: 3 input_dim: 8 input_dim: 8
    layers { layer { name: "pad1" type: "padding" pad: 2 } bottom: "data" top: "pad1" }
    layers { layer { name: "conv1" type: "conv" num_output: 4 kernelsize: 3 }
             bottom: "pad1" top: "conv1" }
    layers { layer { name: "pad2" type: "padding" pad: 1 } bottom: "conv1" top: "pad2" }
    layers { layer { name: "pool2" type: "pool" kernelsize: 2 stride: 2 pool: AVE }
             bottom: "pad2" top: "pool2" })");
  ASSERT_TRUE(UpgradeNetAsNeeded("padded.prototxt", &net));
  ASSERT_EQ(net.layer_size(), 3);
  EXPECT_EQ(net.layer(0).type(), "Input");
  const LayerParameter& conv = net.layer(1);
  EXPECT_EQ(conv.name(), "conv1");
  EXPECT_EQ(conv.type(), "Convolution");
  ASSERT_EQ(conv.bottom_size(), 1);
  EXPECT_EQ(conv.bottom(0), "data");
  ASSERT_EQ(conv.convolution_param().pad_size(), 1);
  EXPECT_EQ(conv.convolution_param().pad(0), 2u);
  const LayerParameter& pool = net.layer(2);
  EXPECT_EQ(pool.type(), "Pooling");
  EXPECT_EQ(pool.bottom(0), "conv1");
  EXPECT_EQ(pool.pooling_param().pad(), 1u);
  EXPECT_EQ(pool.pooling_param().pool(), PoolingParameter::AVE);
  EXPECT_EQ(pool.pooling_param().kernel_size(), 2u);
  EXPECT_EQ(pool.pooling_param().stride(), 2u);
}

TEST(UpgradeV0, PaddingIntoOtherLayersAndUnknownBlobsAreErrors) {
  NetParameter net = ParseText<NetParameter>(R"(
    input: "data"
    layers { layer { name: "pad1" type: "padding" pad: 2 } bottom: "data" top: "pad1" }
    layers { layer { name: "relu1" type: "relu" } bottom: "pad1" top: "relu1" })");
  std::string message = ErrorOf([&] { UpgradeNetAsNeeded("bad.prototxt", &net); });
  EXPECT_NE(message.find("bad.prototxt"), std::string::npos) << message;
  EXPECT_NE(message.find("pad1"), std::string::npos) << message;
  EXPECT_NE(message.find("relu"), std::string::npos) << message;

  net = ParseText<NetParameter>(R"(
    layers { layer { name: "conv1" type: "conv" } bottom: "nowhere" top: "conv1" })");
  message = ErrorOf([&] { UpgradeNetAsNeeded("bad.prototxt", &net); });
  EXPECT_NE(message.find("'nowhere'"), std::string::npos) << message;
}

TEST(UpgradeV0, UnknownTypeIsAnError) {
  NetParameter net = ParseText<NetParameter>(R"(
    layers { layer { name: "x" type: "warp_drive" } top: "x" })");
  const std::string message = ErrorOf([&] { UpgradeNetAsNeeded("odd.prototxt", &net); });
  EXPECT_NE(message.find("odd.prototxt"), std::string::npos) << message;
  EXPECT_NE(message.find("\"warp_drive\""), std::string::npos) << message;
}

TEST(UpgradeV0, MovesEachFieldToItsParameter) {
  NetParameter net = ParseText<NetParameter>(R"(
    layers { layer { name: "data" type: "data" source: "db" batchsize: 32 rand_skip: 7
                     meanfile: "mean.binaryproto" cropsize: 27 mirror: true scale: 0.5 }
             top: "data" top: "label" }
    layers { layer { name: "images" type: "images" source: "list.txt" batchsize: 4
                     shuffle_images: true new_height: 40 new_width: 50 rand_skip: 3 }
             top: "img" top: "img_label" }
    layers { layer { name: "windows" type: "window_data" source: "w.txt" batchsize: 8
                     det_fg_threshold: 0.6 det_bg_threshold: 0.4 det_fg_fraction: 0.3
                     det_context_pad: 16 det_crop_mode: "square" }
             top: "win" top: "win_label" }
    layers { layer { name: "conv" type: "conv" num_output: 8 biasterm: false kernelsize: 5
                     group: 2 stride: 3 pad: 1
                     weight_filler { type: "gaussian" std: 0.02 }
                     bias_filler { type: "constant" value: 0.1 }
                     blobs_lr: 1 blobs_lr: 2 weight_decay: 1 weight_decay: 0 }
             bottom: "data" top: "conv" }
    layers { layer { name: "ip" type: "innerproduct" num_output: 10
                     weight_filler { type: "xavier" } }
             bottom: "conv" top: "ip" }
    layers { layer { name: "norm" type: "lrn" local_size: 3 alpha: 0.001 beta: 0.5 k: 2 }
             bottom: "ip" top: "norm" }
    layers { layer { name: "drop" type: "dropout" dropout_ratio: 0.3 }
             bottom: "norm" top: "norm" }
    layers { layer { name: "cat" type: "concat" concat_dim: 0 }
             bottom: "norm" bottom: "img" top: "cat" }
    layers { layer { name: "out" type: "hdf5_output" hdf5_output_param { file_name: "o.h5" } }
             bottom: "cat" bottom: "label" }
    layers { layer { name: "relu" type: "relu" num_output: 3 } bottom: "ip" top: "r" })");
  ASSERT_TRUE(UpgradeNetAsNeeded("all.prototxt", &net));
  ASSERT_EQ(net.layer_size(), 10);

  const LayerParameter& data = net.layer(0);
  EXPECT_EQ(data.type(), "Data");
  EXPECT_EQ(data.data_param().source(), "db");
  EXPECT_EQ(data.data_param().batch_size(), 32u);
  EXPECT_EQ(data.data_param().rand_skip(), 7u);
  EXPECT_EQ(data.transform_param().mean_file(), "mean.binaryproto");
  EXPECT_EQ(data.transform_param().crop_size(), 27u);
  EXPECT_TRUE(data.transform_param().mirror());
  EXPECT_FLOAT_EQ(data.transform_param().scale(), 0.5f);
  EXPECT_FALSE(data.data_param().has_mean_file());

  const ImageDataParameter& images = net.layer(1).image_data_param();
  EXPECT_EQ(net.layer(1).type(), "ImageData");
  EXPECT_EQ(images.source(), "list.txt");
  EXPECT_EQ(images.batch_size(), 4u);
  EXPECT_TRUE(images.shuffle());
  EXPECT_EQ(images.new_height(), 40u);
  EXPECT_EQ(images.new_width(), 50u);
  EXPECT_EQ(images.rand_skip(), 3u);

  const WindowDataParameter& windows = net.layer(2).window_data_param();
  EXPECT_EQ(net.layer(2).type(), "WindowData");
  EXPECT_EQ(windows.source(), "w.txt");
  EXPECT_EQ(windows.batch_size(), 8u);
  EXPECT_FLOAT_EQ(windows.fg_threshold(), 0.6f);
  EXPECT_FLOAT_EQ(windows.bg_threshold(), 0.4f);
  EXPECT_FLOAT_EQ(windows.fg_fraction(), 0.3f);
  EXPECT_EQ(windows.context_pad(), 16u);
  EXPECT_EQ(windows.crop_mode(), "square");

  const LayerParameter& conv = net.layer(3);
  const ConvolutionParameter& cp = conv.convolution_param();
  EXPECT_EQ(cp.num_output(), 8u);
  EXPECT_FALSE(cp.bias_term());
  ASSERT_EQ(cp.kernel_size_size(), 1);
  EXPECT_EQ(cp.kernel_size(0), 5u);
  EXPECT_EQ(cp.group(), 2u);
  ASSERT_EQ(cp.stride_size(), 1);
  EXPECT_EQ(cp.stride(0), 3u);
  ASSERT_EQ(cp.pad_size(), 1);
  EXPECT_EQ(cp.pad(0), 1u);
  EXPECT_EQ(cp.weight_filler().type(), "gaussian");
  EXPECT_FLOAT_EQ(cp.weight_filler().std(), 0.02f);
  EXPECT_FLOAT_EQ(cp.bias_filler().value(), 0.1f);
  ASSERT_EQ(conv.param_size(), 2);
  EXPECT_FLOAT_EQ(conv.param(0).lr_mult(), 1.f);
  EXPECT_FLOAT_EQ(conv.param(1).lr_mult(), 2.f);
  EXPECT_FLOAT_EQ(conv.param(0).decay_mult(), 1.f);
  EXPECT_FLOAT_EQ(conv.param(1).decay_mult(), 0.f);

  EXPECT_EQ(net.layer(4).inner_product_param().num_output(), 10u);
  EXPECT_EQ(net.layer(4).inner_product_param().weight_filler().type(), "xavier");
  const LRNParameter& lrn = net.layer(5).lrn_param();
  EXPECT_EQ(lrn.local_size(), 3u);
  EXPECT_FLOAT_EQ(lrn.alpha(), 0.001f);
  EXPECT_FLOAT_EQ(lrn.beta(), 0.5f);
  EXPECT_FLOAT_EQ(lrn.k(), 2.f);
  EXPECT_FLOAT_EQ(net.layer(6).dropout_param().dropout_ratio(), 0.3f);
  EXPECT_EQ(net.layer(7).type(), "Concat");
  EXPECT_EQ(net.layer(7).concat_param().concat_dim(), 0u);
  EXPECT_EQ(net.layer(8).type(), "HDF5Output");
  EXPECT_EQ(net.layer(8).hdf5_output_param().file_name(), "o.h5");
  // A field the type does not take is dropped (with a warning), as in Caffe.
  EXPECT_EQ(net.layer(9).type(), "ReLU");
  EXPECT_FALSE(net.layer(9).has_inner_product_param());
  EXPECT_FALSE(net.layer(9).has_convolution_param());
}

TEST(UpgradeV0, MixingV0AndV1LayersIsAnError) {
  NetParameter net = ParseText<NetParameter>(R"(
    layers { layer { name: "conv1" type: "conv" } top: "conv1" }
    layers { name: "relu1" type: RELU bottom: "conv1" top: "conv1" })");
  const std::string message = ErrorOf([&] { UpgradeNetAsNeeded("mixed.prototxt", &net); });
  EXPECT_NE(message.find("mixed.prototxt"), std::string::npos) << message;
  EXPECT_NE(message.find("relu1"), std::string::npos) << message;
}

// ---------------------------------------------------------------------------
// V1
// ---------------------------------------------------------------------------

TEST(UpgradeV1, MovesWiringLearningSettingsAndParameters) {
  NetParameter net = ParseText<NetParameter>(R"(
    name: "v1net"
    force_backward: true
    layers {
      name: "conv" type: CONVOLUTION bottom: "data" top: "conv"
      param: "w_shared" param: "b_shared"
      blob_share_mode: PERMISSIVE blob_share_mode: STRICT
      blobs_lr: 1 blobs_lr: 2 weight_decay: 1 weight_decay: 0
      include { phase: TRAIN stage: "s" } exclude { min_level: 2 }
      convolution_param { num_output: 16 kernel_size: 3 pad: 1 }
    }
    layers { name: "sum" type: ELTWISE bottom: "conv" bottom: "conv" top: "sum"
             eltwise_param { operation: MAX } }
    layers { name: "cut" type: SLICE bottom: "sum" top: "a" top: "b"
             slice_param { slice_point: 8 } }
    layers { name: "thr" type: THRESHOLD bottom: "a" top: "t" threshold_param { threshold: 0.5 } }
    layers { name: "loss" type: SOFTMAX_LOSS bottom: "t" bottom: "label" top: "loss"
             loss_weight: 2 loss_param { ignore_label: 3 } }
    layers { name: "ip" type: INNER_PRODUCT bottom: "b" top: "ip" blobs_lr: 5
             inner_product_param { num_output: 2 } })");
  ASSERT_TRUE(NetNeedsV1ToV2Upgrade(net));
  ASSERT_TRUE(UpgradeNetAsNeeded("v1.prototxt", &net));
  EXPECT_EQ(net.layers_size(), 0);
  EXPECT_EQ(net.name(), "v1net");
  EXPECT_TRUE(net.force_backward());
  ASSERT_EQ(net.layer_size(), 6);

  const LayerParameter& conv = net.layer(0);
  EXPECT_EQ(conv.name(), "conv");
  EXPECT_EQ(conv.type(), "Convolution");
  EXPECT_EQ(conv.bottom(0), "data");
  EXPECT_EQ(conv.top(0), "conv");
  ASSERT_EQ(conv.param_size(), 2);
  EXPECT_EQ(conv.param(0).name(), "w_shared");
  EXPECT_EQ(conv.param(1).name(), "b_shared");
  EXPECT_EQ(conv.param(0).share_mode(), ParamSpec::PERMISSIVE);
  EXPECT_EQ(conv.param(1).share_mode(), ParamSpec::STRICT);
  EXPECT_FLOAT_EQ(conv.param(0).lr_mult(), 1.f);
  EXPECT_FLOAT_EQ(conv.param(1).lr_mult(), 2.f);
  EXPECT_FLOAT_EQ(conv.param(0).decay_mult(), 1.f);
  EXPECT_FLOAT_EQ(conv.param(1).decay_mult(), 0.f);
  ASSERT_EQ(conv.include_size(), 1);
  EXPECT_EQ(conv.include(0).phase(), TRAIN);
  EXPECT_EQ(conv.include(0).stage(0), "s");
  ASSERT_EQ(conv.exclude_size(), 1);
  EXPECT_EQ(conv.exclude(0).min_level(), 2);
  EXPECT_EQ(conv.convolution_param().num_output(), 16u);
  EXPECT_EQ(conv.convolution_param().kernel_size(0), 3u);
  EXPECT_EQ(conv.convolution_param().pad(0), 1u);

  EXPECT_EQ(net.layer(1).type(), "Eltwise");
  EXPECT_EQ(net.layer(1).eltwise_param().operation(), EltwiseParameter::MAX);
  EXPECT_EQ(net.layer(2).type(), "Slice");
  EXPECT_EQ(net.layer(2).slice_param().slice_point(0), 8u);
  EXPECT_EQ(net.layer(3).type(), "Threshold");
  EXPECT_FLOAT_EQ(net.layer(3).threshold_param().threshold(), 0.5f);
  const LayerParameter& loss = net.layer(4);
  EXPECT_EQ(loss.type(), "SoftmaxWithLoss");
  ASSERT_EQ(loss.loss_weight_size(), 1);
  EXPECT_FLOAT_EQ(loss.loss_weight(0), 2.f);
  EXPECT_EQ(loss.loss_param().ignore_label(), 3);
  EXPECT_EQ(loss.param_size(), 0);
  // blobs_lr alone: the decay multiplier keeps its default.
  const LayerParameter& ip = net.layer(5);
  ASSERT_EQ(ip.param_size(), 1);
  EXPECT_FLOAT_EQ(ip.param(0).lr_mult(), 5.f);
  EXPECT_FALSE(ip.param(0).has_decay_mult());
  EXPECT_FALSE(NetNeedsUpgrade(net));
}

TEST(UpgradeV1, EveryLayerTypeHasItsCurrentName) {
  const auto* types = V1LayerParameter::LayerType_descriptor();
  for (int i = 0; i < types->value_count(); ++i) {
    const auto type = static_cast<V1LayerParameter::LayerType>(types->value(i)->number());
    const std::string name = UpgradeV1LayerType(type);
    if (type == V1LayerParameter::NONE) {
      EXPECT_EQ(name, "");
    } else {
      EXPECT_FALSE(name.empty()) << types->value(i)->name();
    }
  }
  EXPECT_EQ(UpgradeV1LayerType(V1LayerParameter::SOFTMAX_LOSS), "SoftmaxWithLoss");
  EXPECT_EQ(UpgradeV1LayerType(V1LayerParameter::HDF5_DATA), "HDF5Data");
  EXPECT_EQ(UpgradeV1LayerType(V1LayerParameter::TANH), "TanH");
  EXPECT_EQ(UpgradeV1LayerType(V1LayerParameter::IM2COL), "Im2col");
  EXPECT_EQ(UpgradeV1LayerType(V1LayerParameter::ABSVAL), "AbsVal");
}

TEST(UpgradeV1, MixingLayerAndLayersIsAnError) {
  NetParameter net = ParseText<NetParameter>(R"(
    layer { name: "conv1" type: "Convolution" top: "conv1" }
    layers { name: "relu1" type: RELU bottom: "conv1" top: "conv1" })");
  const std::string message = ErrorOf([&] { UpgradeNetAsNeeded("mixed.prototxt", &net); });
  EXPECT_NE(message.find("mixed.prototxt"), std::string::npos) << message;
  EXPECT_NE(message.find("'layer'"), std::string::npos) << message;
  EXPECT_NE(message.find("'layers'"), std::string::npos) << message;
}

// A V1 .caffemodel: the weights travel with their layer, in order.
TEST(UpgradeV1, BinaryCaffemodelKeepsItsWeights) {
  NetParameter v1;
  v1.set_name("weights");
  V1LayerParameter* conv = v1.add_layers();
  conv->set_name("conv1");
  conv->set_type(V1LayerParameter::CONVOLUTION);
  conv->add_bottom("data");
  conv->add_top("conv1");
  BlobProto* w = conv->add_blobs();  // legacy 4-D shape fields
  w->set_num(2);
  w->set_channels(1);
  w->set_height(1);
  w->set_width(2);
  for (float v : {1.f, 2.f, 3.f, 4.f}) w->add_data(v);
  BlobProto* b = conv->add_blobs();
  b->set_num(1);
  b->set_channels(1);
  b->set_height(1);
  b->set_width(2);
  b->add_data(-1.f);
  b->add_data(-2.f);
  V1LayerParameter* relu = v1.add_layers();
  relu->set_name("relu1");
  relu->set_type(V1LayerParameter::RELU);
  V1LayerParameter* ip = v1.add_layers();
  ip->set_name("fc");
  ip->set_type(V1LayerParameter::INNER_PRODUCT);
  BlobProto* fw = ip->add_blobs();
  fw->mutable_shape()->add_dim(3);
  fw->mutable_shape()->add_dim(2);
  for (int i = 0; i < 6; ++i) fw->add_double_data(0.5 * i);

  TempDir dir;
  const std::string path = dir / "v1.caffemodel";
  WriteProtoToBinaryFile(v1, path);
  for (int reader = 0; reader < 2; ++reader) {
    SCOPED_TRACE(reader == 0 ? "ReadNetParamsFromBinaryFile" : "ReadNetParamsFromFile");
    NetParameter net;
    if (reader == 0) {
      ReadNetParamsFromBinaryFile(path, &net);
    } else {
      ReadNetParamsFromFile(path, &net);
    }
    ASSERT_EQ(net.layer_size(), 3);
    EXPECT_EQ(net.layers_size(), 0);
    ASSERT_EQ(net.layer(0).name(), "conv1");
    ASSERT_EQ(net.layer(0).blobs_size(), 2);
    EXPECT_EQ(net.layer(0).blobs(0).num(), 2);
    EXPECT_EQ(net.layer(0).blobs(0).width(), 2);
    ASSERT_EQ(net.layer(0).blobs(0).data_size(), 4);
    EXPECT_EQ(net.layer(0).blobs(0).data(3), 4.f);
    ASSERT_EQ(net.layer(0).blobs(1).data_size(), 2);
    EXPECT_EQ(net.layer(0).blobs(1).data(1), -2.f);
    EXPECT_EQ(net.layer(1).blobs_size(), 0);
    ASSERT_EQ(net.layer(2).name(), "fc");
    ASSERT_EQ(net.layer(2).blobs_size(), 1);
    EXPECT_EQ(net.layer(2).blobs(0).shape().dim(0), 3);
    ASSERT_EQ(net.layer(2).blobs(0).double_data_size(), 6);
    EXPECT_EQ(net.layer(2).blobs(0).double_data(5), 2.5);
  }
}

// ---------------------------------------------------------------------------
// Data transformation fields, inputs, BatchNorm
// ---------------------------------------------------------------------------

TEST(UpgradeDataTransform, MovesOldFieldsIntoTransformParam) {
  NetParameter net = ParseText<NetParameter>(R"(
    layers { name: "d" type: DATA top: "d"
             data_param { source: "db" scale: 0.25 mean_file: "m" crop_size: 9 mirror: true } }
    layers { name: "i" type: IMAGE_DATA top: "i" image_data_param { source: "l" crop_size: 5 } }
    layers { name: "w" type: WINDOW_DATA top: "w" window_data_param { mirror: true } }
    layers { name: "x" type: IMAGE_DATA top: "x" data_param { crop_size: 7 } })");
  ASSERT_TRUE(NetNeedsDataUpgrade(net));
  ASSERT_TRUE(UpgradeNetAsNeeded("data.prototxt", &net));
  const LayerParameter& d = net.layer(0);
  EXPECT_FLOAT_EQ(d.transform_param().scale(), 0.25f);
  EXPECT_EQ(d.transform_param().mean_file(), "m");
  EXPECT_EQ(d.transform_param().crop_size(), 9u);
  EXPECT_TRUE(d.transform_param().mirror());
  EXPECT_EQ(d.data_param().source(), "db");
  EXPECT_FALSE(d.data_param().has_scale());
  EXPECT_FALSE(d.data_param().has_mean_file());
  EXPECT_FALSE(d.data_param().has_crop_size());
  EXPECT_FALSE(d.data_param().has_mirror());
  EXPECT_EQ(net.layer(1).transform_param().crop_size(), 5u);
  EXPECT_FALSE(net.layer(1).image_data_param().has_crop_size());
  EXPECT_TRUE(net.layer(2).transform_param().mirror());
  // Only the data parameter of the layer's own type is upgraded (as Caffe).
  EXPECT_FALSE(net.layer(3).has_transform_param());
  EXPECT_FALSE(NetNeedsUpgrade(net));

  // Current-format layers with the old fields get them moved as well.
  NetParameter current = ParseText<NetParameter>(R"(
    layer { name: "d" type: "Data" top: "d" data_param { source: "db" mirror: true } })");
  ASSERT_TRUE(UpgradeNetAsNeeded("data2.prototxt", &current));
  EXPECT_TRUE(current.layer(0).transform_param().mirror());
  EXPECT_FALSE(current.layer(0).data_param().has_mirror());
}

TEST(UpgradeInput, InputDimsBecomeAnInputLayerPlacedFirst) {
  NetParameter net = ParseText<NetParameter>(R"(
    input: "data" input_dim: 10 input_dim: 3 input_dim: 227 input_dim: 227
    input: "label" input_dim: 10 input_dim: 1 input_dim: 1 input_dim: 1
    layer { name: "conv" type: "Convolution" bottom: "data" top: "conv" })");
  ASSERT_TRUE(UpgradeNetAsNeeded("deploy.prototxt", &net));
  EXPECT_EQ(net.input_size(), 0);
  EXPECT_EQ(net.input_dim_size(), 0);
  ASSERT_EQ(net.layer_size(), 2);
  const LayerParameter& input = net.layer(0);
  EXPECT_EQ(input.name(), "input");
  EXPECT_EQ(input.type(), "Input");
  ASSERT_EQ(input.top_size(), 2);
  EXPECT_EQ(input.top(0), "data");
  EXPECT_EQ(input.top(1), "label");
  ASSERT_EQ(input.input_param().shape_size(), 2);
  EXPECT_EQ(ShapeString({input.input_param().shape(0).dim().begin(),
                         input.input_param().shape(0).dim().end()}),
            ShapeString({10, 3, 227, 227}));
  EXPECT_EQ(input.input_param().shape(1).dim_size(), 4);
  EXPECT_EQ(input.input_param().shape(1).dim(0), 10);
  EXPECT_EQ(net.layer(1).name(), "conv");
}

TEST(UpgradeInput, InputShapesAndNamesOnly) {
  NetParameter net = ParseText<NetParameter>(R"(
    input: "data" input_shape { dim: 2 dim: 5 }
    layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip" })");
  ASSERT_TRUE(UpgradeNetAsNeeded("shape.prototxt", &net));
  ASSERT_EQ(net.layer_size(), 2);
  EXPECT_EQ(net.layer(0).type(), "Input");
  ASSERT_EQ(net.layer(0).input_param().shape(0).dim_size(), 2);
  EXPECT_EQ(net.layer(0).input_param().shape(0).dim(1), 5);
  EXPECT_EQ(net.input_shape_size(), 0);

  // A weights file names its inputs without shapes: the names just go.
  NetParameter weights = ParseText<NetParameter>(R"(
    input: "data" layer { name: "ip" type: "InnerProduct" })");
  ASSERT_TRUE(UpgradeNetAsNeeded("w.caffemodel", &weights));
  EXPECT_EQ(weights.input_size(), 0);
  ASSERT_EQ(weights.layer_size(), 1);
  EXPECT_EQ(weights.layer(0).name(), "ip");
}

TEST(UpgradeInput, WrongNumberOfDimsIsAnError) {
  NetParameter net = ParseText<NetParameter>(R"(
    input: "data" input_dim: 1 input_dim: 3 input_dim: 8)");
  std::string message = ErrorOf([&] { UpgradeNetAsNeeded("dims.prototxt", &net); });
  EXPECT_NE(message.find("dims.prototxt"), std::string::npos) << message;
  EXPECT_NE(message.find("input_dim"), std::string::npos) << message;
  net = ParseText<NetParameter>(R"(
    input: "a" input: "b" input_shape { dim: 1 })");
  message = ErrorOf([&] { UpgradeNetAsNeeded("shapes.prototxt", &net); });
  EXPECT_NE(message.find("input_shape"), std::string::npos) << message;
}

TEST(UpgradeBatchNorm, ThreeParamSpecsGetZeroMultipliers) {
  NetParameter net = ParseText<NetParameter>(R"(
    layer { name: "bn" type: "BatchNorm" bottom: "x" top: "x"
            param { name: "mean" lr_mult: 1 } param { lr_mult: 0 } param { decay_mult: 2 } }
    layer { name: "bn2" type: "BatchNorm" bottom: "x" top: "x" param { lr_mult: 0 } }
    layer { name: "conv" type: "Convolution" bottom: "x" top: "y"
            param { lr_mult: 1 } param { lr_mult: 2 } param { lr_mult: 3 } })");
  ASSERT_TRUE(NetNeedsBatchNormUpgrade(net));
  ASSERT_TRUE(UpgradeNetAsNeeded("bn.prototxt", &net));
  const LayerParameter& bn = net.layer(0);
  ASSERT_EQ(bn.param_size(), 3);
  EXPECT_EQ(bn.param(0).name(), "mean");
  for (const ParamSpec& spec : bn.param()) {
    EXPECT_EQ(spec.lr_mult(), 0.f);
    EXPECT_EQ(spec.decay_mult(), 0.f);
  }
  ASSERT_EQ(net.layer(1).param_size(), 1);
  EXPECT_FALSE(net.layer(1).param(0).has_decay_mult());
  EXPECT_EQ(net.layer(2).param(2).lr_mult(), 3.f);
  EXPECT_FALSE(NetNeedsUpgrade(net));
  EXPECT_FALSE(UpgradeNetAsNeeded("bn.prototxt", &net));
}

TEST(UpgradeNet, CurrentNetsAreLeftAlone) {
  NetParameter net = ParseText<NetParameter>(R"(
    name: "n" layer { name: "in" type: "Input" top: "x" input_param { shape { dim: 1 } } }
    layer { name: "r" type: "ReLU" bottom: "x" top: "x" })");
  const NetParameter before = net;
  EXPECT_FALSE(NetNeedsUpgrade(net));
  EXPECT_FALSE(UpgradeNetAsNeeded("current.prototxt", &net));
  EXPECT_EQ(net.SerializeAsString(), before.SerializeAsString());
}

TEST(UpgradeNet, LogsOneLineNamingTheFilePerStep) {
  NetParameter net = ParseText<NetParameter>(R"(
    input: "data" input_dim: 1 input_dim: 1 input_dim: 2 input_dim: 2
    layers { name: "r" type: RELU bottom: "data" top: "r" })");
  LogCapture log("old_style_net.prototxt");
  ASSERT_TRUE(UpgradeNetAsNeeded("old_style_net.prototxt", &net));
  const std::vector<std::string> lines = log.lines();
  ASSERT_EQ(lines.size(), 2u);  // V1 -> current, input fields -> Input layer
  EXPECT_NE(lines[0].find("V1"), std::string::npos) << lines[0];
  EXPECT_NE(lines[1].find("Input layer"), std::string::npos) << lines[1];
}

// ---------------------------------------------------------------------------
// Solvers
// ---------------------------------------------------------------------------

TEST(UpgradeSolver, SolverTypeEnumBecomesTypeString) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"SGD", "SGD"},         {"NESTEROV", "Nesterov"}, {"ADAGRAD", "AdaGrad"},
      {"RMSPROP", "RMSProp"}, {"ADADELTA", "AdaDelta"}, {"ADAM", "Adam"}};
  for (const auto& [old_name, new_name] : cases) {
    SolverParameter solver =
        ParseText<SolverParameter>("base_lr: 0.1 solver_type: " + old_name);
    ASSERT_TRUE(SolverNeedsUpgrade(solver));
    ASSERT_TRUE(UpgradeSolverAsNeeded("solver.prototxt", &solver));
    EXPECT_EQ(solver.type(), new_name);
    EXPECT_FALSE(solver.has_solver_type());
    EXPECT_FLOAT_EQ(solver.base_lr(), 0.1f);
  }
  SolverParameter current = ParseText<SolverParameter>("type: \"Adam\"");
  EXPECT_FALSE(UpgradeSolverAsNeeded("solver.prototxt", &current));
  EXPECT_EQ(current.type(), "Adam");
}

TEST(UpgradeSolver, BothTypeFieldsIsAnError) {
  SolverParameter solver = ParseText<SolverParameter>("solver_type: ADAM type: \"SGD\"");
  const std::string message =
      ErrorOf([&] { UpgradeSolverAsNeeded("both_solver.prototxt", &solver); });
  EXPECT_NE(message.find("both_solver.prototxt"), std::string::npos) << message;
  EXPECT_NE(message.find("solver_type"), std::string::npos) << message;
}

TEST(UpgradeSolver, InlineNetsAreUpgraded) {
  SolverParameter solver = ParseText<SolverParameter>(R"(
    net_param { layers { name: "r" type: RELU bottom: "x" top: "x" } }
    test_net_param { layers { name: "s" type: SIGMOID bottom: "x" top: "x" } })");
  ASSERT_TRUE(SolverNeedsUpgrade(solver));
  ASSERT_TRUE(UpgradeSolverAsNeeded("inline_solver.prototxt", &solver));
  ASSERT_EQ(solver.net_param().layer_size(), 1);
  EXPECT_EQ(solver.net_param().layer(0).type(), "ReLU");
  EXPECT_EQ(solver.test_net_param(0).layer(0).type(), "Sigmoid");
  EXPECT_FALSE(SolverNeedsUpgrade(solver));
}

// ---------------------------------------------------------------------------
// Reading files
// ---------------------------------------------------------------------------

TEST(ReadNetParams, TextOrBinaryWhateverTheName) {
  NetParameter v1 = ParseText<NetParameter>(R"(
    name: "tiny" layers { name: "fc" type: INNER_PRODUCT
                          blobs { shape { dim: 2 } data: 1.5 data: -1 } })");
  TempDir dir;
  WriteProtoToBinaryFile(v1, dir / "binary.caffemodel");
  WriteProtoToTextFile(v1, dir / "text.caffemodel.txt");
  WriteProtoToTextFile(v1, dir / "text_named.caffemodel");    // text in a binary name
  WriteProtoToBinaryFile(v1, dir / "binary_named.prototxt");  // and the reverse
  for (const std::string name :
       {"binary.caffemodel", "text.caffemodel.txt", "text_named.caffemodel",
        "binary_named.prototxt"}) {
    SCOPED_TRACE(name);
    NetParameter net;
    ReadNetParamsFromFile(dir / name, &net);
    EXPECT_EQ(net.name(), "tiny");
    ASSERT_EQ(net.layer_size(), 1);
    EXPECT_EQ(net.layer(0).type(), "InnerProduct");
    ASSERT_EQ(net.layer(0).blobs_size(), 1);
    ASSERT_EQ(net.layer(0).blobs(0).data_size(), 2);
    EXPECT_EQ(net.layer(0).blobs(0).data(0), 1.5f);
  }
}

TEST(ReadNetParams, BrokenFilesAreClearErrors) {
  TempDir dir;
  NetParameter net;
  std::string message = ErrorOf([&] { ReadNetParamsFromFile(dir / "missing.caffemodel", &net); });
  EXPECT_NE(message.find("missing.caffemodel"), std::string::npos) << message;

  NetParameter big = ParseText<NetParameter>(R"(
    layer { name: "fc" type: "InnerProduct" blobs { shape { dim: 64 } } })");
  for (int i = 0; i < 64; ++i) big.mutable_layer(0)->mutable_blobs(0)->add_data(i);
  std::string bytes = big.SerializeAsString();
  WriteFileAtomically(bytes.substr(0, bytes.size() / 2), dir / "truncated.caffemodel");
  message = ErrorOf([&] { ReadNetParamsFromFile(dir / "truncated.caffemodel", &net); });
  EXPECT_NE(message.find("truncated.caffemodel"), std::string::npos) << message;
  EXPECT_NE(message.find("binary"), std::string::npos) << message;

  WriteFileAtomically("layer { name: \"x\" bogus_field: 1 }\n", dir / "bad.prototxt");
  message = ErrorOf([&] { ReadNetParamsFromFile(dir / "bad.prototxt", &net); });
  EXPECT_NE(message.find("bad.prototxt:1:"), std::string::npos) << message;
  EXPECT_NE(message.find("bogus_field"), std::string::npos) << message;
}

// ---------------------------------------------------------------------------
// Tools
// ---------------------------------------------------------------------------

std::string Tool(const std::string& name) {
  return std::string(CREMA_BINARY_DIR) + "/tools/" + name;
}

int RunTool(const std::string& command) {
  const int status = std::system((command + " 2>/dev/null").c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(UpgradeTools, RewriteNetsAndSolvers) {
  if (!fs::exists(Tool("upgrade_net_proto_text"))) {
    GTEST_SKIP() << "tools were not built (CREMA_BUILD_TOOLS=OFF)";
  }
  TempDir dir;
  WriteFileAtomically(R"(
    input: "data" input_dim: 1 input_dim: 1 input_dim: 4 input_dim: 4
    layers { name: "conv" type: CONVOLUTION bottom: "data" top: "conv" blobs_lr: 3
             convolution_param { num_output: 2 kernel_size: 3 } })",
                      dir / "v1.prototxt");
  ASSERT_EQ(RunTool(Tool("upgrade_net_proto_text") + " " + dir / "v1.prototxt" + " " +
                dir / "v2.prototxt"),
            0);
  NetParameter text;
  ReadProtoFromTextFile(dir / "v2.prototxt", &text);
  EXPECT_FALSE(NetNeedsUpgrade(text));
  ASSERT_EQ(text.layer_size(), 2);
  EXPECT_EQ(text.layer(1).param(0).lr_mult(), 3.f);

  NetParameter weights = ParseText<NetParameter>(R"(
    layers { name: "fc" type: INNER_PRODUCT blobs { shape { dim: 1 } data: 7 } })");
  WriteProtoToBinaryFile(weights, dir / "v1.caffemodel");
  ASSERT_EQ(RunTool(Tool("upgrade_net_proto_binary") + " " + dir / "v1.caffemodel" + " " +
                dir / "v2.caffemodel"),
            0);
  NetParameter binary;
  ReadProtoFromBinaryFile(dir / "v2.caffemodel", &binary);
  ASSERT_EQ(binary.layer_size(), 1);
  EXPECT_EQ(binary.layer(0).blobs(0).data(0), 7.f);

  WriteFileAtomically("solver_type: NESTEROV base_lr: 0.01\n", dir / "solver.prototxt");
  ASSERT_EQ(RunTool(Tool("upgrade_solver_proto_text") + " " + dir / "solver.prototxt" + " " +
                dir / "solver2.prototxt"),
            0);
  SolverParameter solver;
  ReadProtoFromTextFile(dir / "solver2.prototxt", &solver);
  EXPECT_EQ(solver.type(), "Nesterov");
  EXPECT_FALSE(solver.has_solver_type());

  // Errors: a message and exit status 1, no crash.
  EXPECT_EQ(RunTool(Tool("upgrade_net_proto_text") + " " + dir / "nope.prototxt" + " " +
                dir / "out.prototxt"),
            1);
  EXPECT_EQ(RunTool(Tool("upgrade_net_proto_binary") + " " + dir / "v1.prototxt" + " " +
                dir / "out.caffemodel"),
            1);
  EXPECT_EQ(RunTool(Tool("upgrade_solver_proto_text")), 1);
  EXPECT_FALSE(fs::exists(dir / "out.prototxt"));
}

}  // namespace
}  // namespace crema
