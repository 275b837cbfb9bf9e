// The zoo beyond VGG: GoogLeNet, ResNet-50, SqueezeNet v1.1, MobileNet v1
// and FCN-32s. Each deploy net builds (batch 1 to keep memory low), its
// learnable-parameter count equals the published figure, the train_val nets
// build (data layers swapped for Input) with their auxiliary layers, and
// every train_val net runs forward and backward once (FCN-32s on a 32 x 32
// image, the others at batch 1).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "crema/io/upgrade_proto.hpp"
#include "crema/layer_registry.hpp"
#include "crema/net.hpp"

namespace crema {
namespace {

std::string ModelPath(const std::string& relative) {
  return std::string(CREMA_SOURCE_DIR) + "/models/" + relative;
}

struct Counts {
  int64_t all = 0;        // every learnable blob (what tools/time prints)
  int64_t trainable = 0;  // without lr_mult 0 blobs (BatchNorm statistics)
};

Counts CountParams(const Net& net) {
  Counts counts;
  const auto& params = net.learnable_params();
  for (size_t i = 0; i < params.size(); ++i) {
    counts.all += params[i]->count();
    if (net.learnable_info(static_cast<int>(i)).lr_mult != 0.f) counts.trainable += params[i]->count();
  }
  return counts;
}

// The deploy net with its Input batch set to 1 (and, if given, the spatial
// size), built in the TEST phase.
NetParameter Deploy(const std::string& model, int height = 0, int width = 0) {
  NetParameter param;
  ReadNetParamsFromTextFile(ModelPath(model + "/deploy.prototxt"), &param);
  LayerParameter* input = param.mutable_layer(0);
  EXPECT_EQ("Input", input->type());
  BlobShape* shape = input->mutable_input_param()->mutable_shape(0);
  shape->set_dim(0, 1);
  if (height > 0) {
    shape->set_dim(2, height);
    shape->set_dim(3, width);
  }
  param.mutable_state()->set_phase(TEST);
  return param;
}

// The train_val net for `phase` with its Data layers replaced by one Input
// layer of the given data and label shapes.
NetParameter TrainVal(const std::string& model, Phase phase,
                      const std::vector<int>& data,
                      const std::vector<int>& label) {
  NetParameter param;
  ReadNetParamsFromTextFile(ModelPath(model + "/train_val.prototxt"), &param);
  NetParameter out = param;
  out.clear_layer();
  LayerParameter* input = out.add_layer();
  input->set_name("input");
  input->set_type("Input");
  input->add_top("data");
  input->add_top("label");
  for (const auto& dims : {data, label}) {
    BlobShape* shape = input->mutable_input_param()->add_shape();
    for (int d : dims) shape->add_dim(d);
  }
  for (const LayerParameter& layer : param.layer()) {
    if (layer.type() != "Data") *out.add_layer() = layer;
  }
  out.mutable_state()->set_phase(phase);
  return out;
}

// Fills the net's input with values in [-1, 1] (a zero image would give the
// first layer's weights a zero gradient), then runs forward and backward.
void ForwardBackward(Net* net) {
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> uniform(-1.f, 1.f);
  Blob* data = net->blob_by_name("data").get();
  for (int i = 0; i < data->count(); ++i) data->mutable_cpu_data()[i] = uniform(rng);
  float loss = 0.f;
  net->Forward(&loss);
  net->Backward();
}

// Replaces every learnable blob with He-style random values (weights with
// standard deviation sqrt(2 / fan-in), biases 0.01): FCN-32s's prototxt
// leaves most of them at Caffe's default constant 0, through which no
// gradient would flow.
void FillParamsRandomly(Net* net) {
  std::mt19937 rng(7);
  for (Blob* blob : net->learnable_params()) {
    float* values = blob->mutable_cpu_data();
    if (blob->num_axes() <= 1) {
      std::fill(values, values + blob->count(), 0.01f);
      continue;
    }
    const double fan_in = static_cast<double>(blob->count()) / blob->shape(0);
    std::normal_distribution<float> normal(0.f, static_cast<float>(std::sqrt(2.0 / fan_in)));
    for (int i = 0; i < blob->count(); ++i) values[i] = normal(rng);
  }
}

// After ForwardBackward: the first learnable blob (the lowest convolution's
// weights) received a finite, non-zero gradient, so backward went through
// every layer above it.
void ExpectGradientsReachTheInput(const Net& net) {
  ASSERT_FALSE(net.learnable_params().empty());
  const Blob* first = net.learnable_params()[0];
  double sum = 0;
  for (int i = 0; i < first->count(); ++i) {
    ASSERT_TRUE(std::isfinite(first->cpu_diff()[i])) << "at " << i;
    sum += std::abs(first->cpu_diff()[i]);
  }
  EXPECT_GT(sum, 0.0);
}

TEST(ZooExtraTest, GoogLeNet) {
  Net net(Deploy("googlenet"));
  // Szegedy et al.'s network as BVLC trained it, without the auxiliary
  // classifiers (only train_val has those).
  EXPECT_EQ(6998552, CountParams(net).all);
  EXPECT_EQ(std::vector<int>({1, 1024, 7, 7}),
            net.blob_by_name("inception_5b/output")->shape());
  EXPECT_EQ(std::vector<int>({1, 1000}), net.blob_by_name("prob")->shape());

  // Two auxiliary classifiers (after inception 4a and 4d) add 6,379,728.
  Net train(TrainVal("googlenet", TRAIN, {1, 3, 224, 224}, {1}));
  EXPECT_EQ(13378280, CountParams(train).all);
  EXPECT_TRUE(train.has_blob("loss1/loss1"));
  EXPECT_TRUE(train.has_blob("loss2/loss2"));
  ForwardBackward(&train);
  Net test(TrainVal("googlenet", TEST, {1, 3, 224, 224}, {1}));
  EXPECT_TRUE(test.has_blob("loss3/top-5"));
}

TEST(ZooExtraTest, ResNet50) {
  Net net(Deploy("resnet50"));
  const Counts counts = CountParams(net);
  // 25,557,032 (He et al.; torchvision's count) + the 64 biases of conv1,
  // which the authors' Caffe model has.
  EXPECT_EQ(25557096, counts.trainable);
  // BatchNorm's running means and variances (2 x 26,560) and 53 scale factors.
  EXPECT_EQ(25557096 + 53173, counts.all);
  EXPECT_EQ(std::vector<int>({1, 2048, 1, 1}),
            net.blob_by_name("pool5")->shape());
  float loss = 0.f;
  net.Forward(&loss);
  EXPECT_EQ(std::vector<int>({1, 1000}), net.blob_by_name("prob")->shape());

  Net train(TrainVal("resnet50", TRAIN, {1, 3, 224, 224}, {1}));
  EXPECT_EQ(counts.all, CountParams(train).all);
  EXPECT_EQ(counts.trainable, CountParams(train).trainable);
  ForwardBackward(&train);
  ExpectGradientsReachTheInput(train);
}

TEST(ZooExtraTest, SqueezeNetV11) {
  Net net(Deploy("squeezenet"));
  EXPECT_EQ(1235496, CountParams(net).all);
  EXPECT_EQ(std::vector<int>({1, 1000, 1, 1}),
            net.blob_by_name("pool10")->shape());
  Net train(TrainVal("squeezenet", TRAIN, {1, 3, 227, 227}, {1}));
  EXPECT_EQ(1235496, CountParams(train).all);
  ForwardBackward(&train);
}

TEST(ZooExtraTest, MobileNetV1) {
  Net net(Deploy("mobilenet"));
  const Counts counts = CountParams(net);
  EXPECT_EQ(4231976, counts.trainable);
  // BatchNorm statistics: 2 x 10,944 channels and 27 scale factors.
  EXPECT_EQ(4231976 + 21915, counts.all);
  EXPECT_EQ(std::vector<int>({1, 1024, 1, 1}),
            net.blob_by_name("pool6")->shape());
  Net train(TrainVal("mobilenet", TRAIN, {1, 3, 224, 224}, {1}));
  EXPECT_EQ(counts.trainable, CountParams(train).trainable);
  ForwardBackward(&train);
}

TEST(ZooExtraTest, FCN32s) {
  if (!LayerRegistry::Has("Crop")) {
    GTEST_SKIP()
        << "FCN-32s needs the Crop layer, which this build does not have.";
  }
  // A small image keeps the test light; the net is fully convolutional.
  Net net(Deploy("fcn32s", 32, 32));
  const Counts counts = CountParams(net);
  // VGG16's convolutions, fc6/fc7 as convolutions, score_fr, and the
  // 21 x 21 x 64 x 64 bilinear upsampling (fixed in training).
  EXPECT_EQ(136152917, counts.all);
  // upscore has lr_mult 0 in deploy too, as in the published prototxt.
  EXPECT_EQ(136152917 - 21 * 21 * 64 * 64, counts.trainable);
  EXPECT_EQ(std::vector<int>({1, 21, 96, 96}),
            net.blob_by_name("upscore")->shape());
  EXPECT_EQ(std::vector<int>({1, 21, 32, 32}),
            net.blob_by_name("score")->shape());

  Net train(TrainVal("fcn32s", TRAIN, {1, 3, 32, 32}, {1, 1, 32, 32}));
  EXPECT_EQ(136152917 - 21 * 21 * 64 * 64, CountParams(train).trainable);
  FillParamsRandomly(&train);
  ForwardBackward(&train);
  EXPECT_EQ(std::vector<int>({1, 21, 32, 32}), train.blob_by_name("score")->shape());
  ExpectGradientsReachTheInput(train);
}

}  // namespace
}  // namespace crema
