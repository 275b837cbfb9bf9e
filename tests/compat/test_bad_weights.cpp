// Broken or mismatched inputs to the weight and mean readers: each is a
// crema::Error with a sentence naming the file, never a crash.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "crema/classifier.hpp"
#include "crema/common.hpp"
#include "crema/io/proto_io.hpp"
#include "crema/net.hpp"
#include "solver/solver_test_util.hpp"

namespace crema {
namespace testing {
namespace {

const char kGrayNet[] = R"(name: "gray"
layer { name: "data" type: "Input" top: "data"
        input_param { shape { dim: 1 dim: 1 dim: 8 dim: 8 } } }
layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
        convolution_param { num_output: 4 kernel_size: 3 weight_filler { type: "xavier" } } }
layer { name: "ip1" type: "InnerProduct" bottom: "conv1" top: "ip1"
        inner_product_param { num_output: 3 weight_filler { type: "xavier" } } }
layer { name: "prob" type: "Softmax" bottom: "ip1" top: "prob" }
)";

const char kOtherNet[] = R"(name: "other"
layer { name: "data" type: "Input" top: "data"
        input_param { shape { dim: 1 dim: 3 dim: 8 dim: 8 } } }
layer { name: "encoder" type: "InnerProduct" bottom: "data" top: "code"
        inner_product_param { num_output: 5 } }
)";

// kGrayNet's shapes but conv1 with 6 filters.
const char kWiderNet[] = R"(name: "wider"
layer { name: "data" type: "Input" top: "data"
        input_param { shape { dim: 1 dim: 1 dim: 8 dim: 8 } } }
layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
        convolution_param { num_output: 6 kernel_size: 3 } }
)";

class BadWeightsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WriteTextFile(dir_ / "gray.prototxt", kGrayNet);
    WriteTextFile(dir_ / "other.prototxt", kOtherNet);
    WriteTextFile(dir_ / "wider.prototxt", kWiderNet);
    WriteWeights("gray.prototxt", "gray.caffemodel");
  }
  void WriteWeights(const std::string& model, const std::string& weights) {
    Net net(dir_ / model, TEST);
    NetParameter param;
    net.ToProto(&param);
    WriteProtoToBinaryFile(param, dir_ / weights);
  }
  // The message of the crema::Error that loading `weights` into the gray
  // net throws ("" when nothing is thrown).
  std::string LoadError(const std::string& weights) {
    Net net(dir_ / "gray.prototxt", TEST);
    try {
      CopyWeightsChecked(&net, weights);
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  }
  ClassifierOptions GrayOptions() const {
    ClassifierOptions options;
    options.model_file = dir_ / "gray.prototxt";
    options.weights_files = {dir_ / "gray.caffemodel"};
    return options;
  }

  TempDir dir_;
};

TEST_F(BadWeightsTest, GoodWeightsLoad) { EXPECT_EQ(LoadError(dir_ / "gray.caffemodel"), ""); }

TEST_F(BadWeightsTest, TruncatedCaffemodel) {
  const std::string bytes = ReadFileToString(dir_ / "gray.caffemodel");
  for (size_t keep : {bytes.size() / 2, bytes.size() - 3, size_t{7}}) {
    std::ofstream(dir_ / "cut.caffemodel", std::ios::binary).write(bytes.data(), keep);
    const std::string error = LoadError(dir_ / "cut.caffemodel");
    EXPECT_NE(error.find("cut.caffemodel"), std::string::npos) << keep << ": " << error;
  }
}

TEST_F(BadWeightsTest, CaffemodelOfAnotherNet) {
  WriteWeights("other.prototxt", "other.caffemodel");
  const std::string error = LoadError(dir_ / "other.caffemodel");
  EXPECT_NE(error.find("another net"), std::string::npos) << error;
  EXPECT_NE(error.find("encoder"), std::string::npos) << error;

  // A same-named layer of another shape names the layer, blob and shapes.
  WriteWeights("wider.prototxt", "wider.caffemodel");
  const std::string shape_error = LoadError(dir_ / "wider.caffemodel");
  EXPECT_NE(shape_error.find("conv1"), std::string::npos) << shape_error;
  EXPECT_NE(shape_error.find("blob 0"), std::string::npos) << shape_error;
  EXPECT_NE(shape_error.find("6 x 1 x 3 x 3"), std::string::npos) << shape_error;
  EXPECT_NE(shape_error.find("4 x 1 x 3 x 3"), std::string::npos) << shape_error;
}

TEST_F(BadWeightsTest, NonProtobufFiles) {
  std::string noise(4096, '\0');
  uint32_t state = 12345;
  for (char& c : noise) {
    state = state * 1664525u + 1013904223u;
    c = static_cast<char>(state >> 24);
  }
  std::ofstream(dir_ / "noise.caffemodel", std::ios::binary) << noise;
  WriteTextFile(dir_ / "text.caffemodel", "this is not a model\n");
  WriteTextFile(dir_ / "empty.caffemodel", "");
  for (const char* name : {"noise.caffemodel", "text.caffemodel", "empty.caffemodel"}) {
    const std::string error = LoadError(dir_ / name);
    EXPECT_FALSE(error.empty()) << name;
    EXPECT_NE(error.find(name), std::string::npos) << error;
  }
  EXPECT_NE(LoadError(dir_ / "missing.caffemodel").find("does not exist"), std::string::npos);
}

TEST_F(BadWeightsTest, MeanFileWithOtherChannelCount) {
  BlobProto mean;
  mean.set_num(1);
  mean.set_channels(3);
  mean.set_height(8);
  mean.set_width(8);
  for (int i = 0; i < 3 * 8 * 8; ++i) mean.add_data(100.f);
  WriteProtoToBinaryFile(mean, dir_ / "color_mean.binaryproto");
  ClassifierOptions options = GrayOptions();
  options.mean_file = dir_ / "color_mean.binaryproto";
  try {
    Classifier classifier(options);
    FAIL() << "a 3-channel mean for a 1-channel net was accepted";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("color_mean.binaryproto"), std::string::npos) << message;
    EXPECT_NE(message.find("3 channel"), std::string::npos) << message;
    EXPECT_NE(message.find("has 1"), std::string::npos) << message;
  }
  // A file that is not a mean at all.
  options.mean_file = dir_ / "gray.caffemodel";
  EXPECT_THROW(Classifier classifier(options), Error);
  // Too many mean values.
  options.mean_file.clear();
  options.mean_values = {1, 2, 3};
  EXPECT_THROW(Classifier classifier(options), Error);
}

TEST_F(BadWeightsTest, ClassifierPreprocessesAndRejectsBadInput) {
  ClassifierOptions options = GrayOptions();
  options.mean_values = {10};
  options.scale = 0.5f;
  Classifier classifier(options);
  // A 16 x 16 colour image: converted to gray, resized to 8 x 8.
  cv::Mat image(16, 16, CV_8UC3, cv::Scalar(30, 30, 30));
  std::vector<float> out(64);
  classifier.Preprocess(image, out.data());
  for (float v : out) EXPECT_NEAR(v, (30 - 10) * 0.5f, 1e-4);
  const auto top = classifier.Classify({image, image}, 2, 2);
  ASSERT_EQ(top.size(), 2u);
  ASSERT_EQ(top[0].size(), 2u);
  EXPECT_GE(top[0][0].score, top[0][1].score);
  EXPECT_THROW(classifier.ClassifyFiles({dir_ / "none.png"}, 1), Error);
  WriteTextFile(dir_ / "labels.txt", "a\nb\n");
  options.labels_file = dir_ / "labels.txt";
  EXPECT_THROW(Classifier bad_labels(options), Error);  // 2 labels, 3 classes
}

TEST_F(BadWeightsTest, MeanFileIsResizedAndCropped) {
  // A 1 x 1 x 4 x 4 mean with value = column index, resize 4 x 4 -> crop 2 x 2.
  const char kTiny[] = R"(name: "tiny"
layer { name: "data" type: "Input" top: "data"
        input_param { shape { dim: 1 dim: 1 dim: 2 dim: 2 } } }
layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip"
        inner_product_param { num_output: 2 } }
)";
  WriteTextFile(dir_ / "tiny.prototxt", kTiny);
  WriteWeights("tiny.prototxt", "tiny.caffemodel");
  BlobProto mean;
  for (int d : {1, 1, 4, 4}) mean.mutable_shape()->add_dim(d);
  for (int h = 0; h < 4; ++h) {
    for (int w = 0; w < 4; ++w) mean.add_data(static_cast<float>(w));
  }
  WriteProtoToBinaryFile(mean, dir_ / "tiny_mean.binaryproto");
  ClassifierOptions options;
  options.model_file = dir_ / "tiny.prototxt";
  options.weights_files = {dir_ / "tiny.caffemodel"};
  options.mean_file = dir_ / "tiny_mean.binaryproto";
  options.resize_height = options.resize_width = 4;
  Classifier classifier(options);
  cv::Mat image(4, 4, CV_8UC1);
  for (int h = 0; h < 4; ++h) {
    for (int w = 0; w < 4; ++w) image.at<uint8_t>(h, w) = static_cast<uint8_t>(10 * h + w);
  }
  std::vector<float> out(4);
  classifier.Preprocess(image, out.data());
  // Center crop rows 1-2, columns 1-2; the mean (= column) cancels w.
  EXPECT_FLOAT_EQ(out[0], 10.f);
  EXPECT_FLOAT_EQ(out[1], 10.f);
  EXPECT_FLOAT_EQ(out[2], 20.f);
  EXPECT_FLOAT_EQ(out[3], 20.f);
}

}  // namespace
}  // namespace testing
}  // namespace crema
