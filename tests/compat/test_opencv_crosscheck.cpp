// Cross-check against an independent reader of Caffe files: crema writes a
// net's random weights to a .caffemodel; OpenCV's dnn module loads the same
// prototxt and caffemodel; both forward passes must agree to 1e-4 relative
// error. This proves the files are real Caffe files and the layers compute
// what Caffe's do.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "crema/common.hpp"
#include "crema/io/proto_io.hpp"
#include "crema/io/upgrade_proto.hpp"
#include "crema/math/math_functions.hpp"
#include "crema/net.hpp"
#include "io/compat_corpus.hpp"
#include "solver/solver_test_util.hpp"

#ifdef CREMA_HAVE_OPENCV_DNN
#include <opencv2/dnn.hpp>
#endif

namespace crema {
namespace testing {
namespace {

// Convolution with groups and dilation, max and average pooling, LRN,
// InnerProduct, ReLU, Concat, Eltwise, BatchNorm + Scale, Softmax.
const char kMixedNet[] = R"(
name: "mixed"
layer { name: "data" type: "Input" top: "data"
        input_param { shape { dim: 2 dim: 4 dim: 13 dim: 13 } } }
layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
        convolution_param { num_output: 8 kernel_size: 3 pad: 2 dilation: 2 group: 2 } }
layer { name: "bn1" type: "BatchNorm" bottom: "conv1" top: "conv1" }
layer { name: "scale1" type: "Scale" bottom: "conv1" top: "conv1"
        scale_param { bias_term: true } }
layer { name: "relu1" type: "ReLU" bottom: "conv1" top: "conv1" }
layer { name: "pool_max" type: "Pooling" bottom: "conv1" top: "pool_max"
        pooling_param { pool: MAX kernel_size: 3 stride: 2 } }
layer { name: "pool_ave" type: "Pooling" bottom: "conv1" top: "pool_ave"
        pooling_param { pool: AVE kernel_size: 3 stride: 2 } }
layer { name: "concat" type: "Concat" bottom: "pool_max" bottom: "pool_ave" top: "concat" }
layer { name: "lrn" type: "LRN" bottom: "concat" top: "lrn"
        lrn_param { local_size: 5 alpha: 0.5 beta: 0.75 } }
layer { name: "conv2" type: "Convolution" bottom: "concat" top: "conv2"
        convolution_param { num_output: 16 kernel_size: 3 pad: 1 group: 4 } }
layer { name: "sum" type: "Eltwise" bottom: "lrn" bottom: "conv2" top: "sum"
        eltwise_param { operation: SUM } }
layer { name: "ip1" type: "InnerProduct" bottom: "sum" top: "ip1"
        inner_product_param { num_output: 10 } }
layer { name: "prob" type: "Softmax" bottom: "ip1" top: "prob" }
)";

// Random weights; BatchNorm gets statistics with a non-unit scale factor.
void RandomizeWeights(Net* net) {
  for (int i = 0; i < net->num_layers(); ++i) {
    const auto& layer = net->layers()[i];
    const auto& blobs = layer->blobs();
    if (std::string(layer->type()) == "BatchNorm") {
      rng_gaussian(blobs[0]->count(), 0.2f, 0.5f, blobs[0]->mutable_cpu_data());
      rng_uniform(blobs[1]->count(), 0.5f, 3.f, blobs[1]->mutable_cpu_data());
      blobs[2]->mutable_cpu_data()[0] = 2.f;
      continue;
    }
    for (const auto& blob : blobs) {
      rng_gaussian(blob->count(), 0.f, 0.3f, blob->mutable_cpu_data());
    }
  }
}

#ifdef CREMA_HAVE_OPENCV_DNN
// max |a - b| / max |b| over the blob.
double RelativeError(const Blob& crema_blob, const cv::Mat& opencv_blob) {
  EXPECT_EQ(static_cast<size_t>(crema_blob.count()), opencv_blob.total());
  const float* a = crema_blob.cpu_data();
  const float* b = opencv_blob.ptr<float>();
  double max_diff = 0, max_ref = 0;
  for (int i = 0; i < crema_blob.count(); ++i) {
    max_diff = std::max(max_diff, static_cast<double>(std::fabs(a[i] - b[i])));
    max_ref = std::max(max_ref, static_cast<double>(std::fabs(b[i])));
  }
  return max_ref > 0 ? max_diff / max_ref : max_diff;
}

// compared: crema blob names; each is read from the OpenCV layer of the same
// name, or of the name after '=' ("ip1=relu1": an in-place ReLU's result).
void CrossCheck(const std::string& prototxt, const std::vector<std::string>& compared,
                const TempDir& dir, void (*randomize)(Net*) = RandomizeWeights) {
  Crema::set_random_seed(1701);
  Net net(prototxt, TEST);
  randomize(&net);
  NetParameter weights;
  net.ToProto(&weights);
  const std::string caffemodel = dir / "weights.caffemodel";
  WriteProtoToBinaryFile(weights, caffemodel);

  Blob* input = net.input_blobs()[0];
  rng_uniform(input->count(), -1.f, 1.f, input->mutable_cpu_data());
  net.Forward();

  cv::dnn::Net reference = cv::dnn::readNetFromCaffe(prototxt, caffemodel);
  ASSERT_FALSE(reference.empty());
  reference.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
  reference.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
  const std::vector<int> shape = input->shape();
  cv::Mat blob(static_cast<int>(shape.size()), shape.data(), CV_32F);
  std::copy(input->cpu_data(), input->cpu_data() + input->count(), blob.ptr<float>());
  reference.setInput(blob);
  std::vector<cv::Mat> outputs;
  std::vector<cv::String> names;
  std::vector<std::string> blobs;
  for (const std::string& entry : compared) {
    const size_t eq = entry.find('=');
    blobs.push_back(entry.substr(0, eq));
    names.push_back(eq == std::string::npos ? entry : entry.substr(eq + 1));
  }
  reference.forward(outputs, names);
  ASSERT_EQ(outputs.size(), compared.size());
  for (size_t i = 0; i < compared.size(); ++i) {
    const Blob& ours = *net.blob_by_name(blobs[i]);
    const double error = RelativeError(ours, outputs[i]);
    std::cout << "[opencv] " << compared[i] << " " << ours.shape_string()
              << " relative error " << error << "\n";
    EXPECT_LE(error, 1e-4) << "blob " << compared[i];
  }
}
#endif

TEST(OpenCVCrossCheck, LeNet) {
#ifndef CREMA_HAVE_OPENCV_DNN
  GTEST_SKIP() << "built without OpenCV's dnn module";
#else
  TempDir dir;
  CrossCheck(std::string(CREMA_SOURCE_DIR) + "/models/lenet/deploy.prototxt",
             {"conv1", "pool2", "ip1=relu1", "ip2", "prob"}, dir);
#endif
}

TEST(OpenCVCrossCheck, GroupsDilationPoolingLrnConcatEltwiseBatchNorm) {
#ifndef CREMA_HAVE_OPENCV_DNN
  GTEST_SKIP() << "built without OpenCV's dnn module";
#else
  TempDir dir;
  WriteTextFile(dir / "mixed.prototxt", kMixedNet);
  CrossCheck(dir / "mixed.prototxt",
             {"pool_max", "pool_ave", "concat", "lrn", "conv2", "sum", "ip1", "prob"}, dir);
#endif
}

// Weights scaled by fan-in and BatchNorm statistics near 1, so that deep nets
// (SqueezeNet, MobileNet) keep activations of order 1 to their last layer.
void ScaledRandomWeights(Net* net) {
  for (int i = 0; i < net->num_layers(); ++i) {
    const auto& layer = net->layers()[i];
    const auto& blobs = layer->blobs();
    const std::string type = layer->type();
    if (type == "BatchNorm") {
      rng_gaussian(blobs[0]->count(), 0.f, 0.1f, blobs[0]->mutable_cpu_data());
      rng_uniform(blobs[1]->count(), 0.5f, 2.f, blobs[1]->mutable_cpu_data());
      blobs[2]->mutable_cpu_data()[0] = 1.f;
      continue;
    }
    if (type == "Scale") {
      rng_gaussian(blobs[0]->count(), 1.f, 0.1f, blobs[0]->mutable_cpu_data());
      if (blobs.size() > 1) rng_gaussian(blobs[1]->count(), 0.f, 0.1f, blobs[1]->mutable_cpu_data());
      continue;
    }
    for (size_t b = 0; b < blobs.size(); ++b) {
      const int fan_in = blobs[b]->num_axes() > 1 ? blobs[b]->count(1) : 1;
      const float std = b == 0 ? 1.5f / std::sqrt(static_cast<float>(fan_in)) : 0.1f;
      rng_gaussian(blobs[b]->count(), 0.f, std, blobs[b]->mutable_cpu_data());
    }
  }
}

TEST(OpenCVCrossCheck, SqueezeNet) {
#ifndef CREMA_HAVE_OPENCV_DNN
  GTEST_SKIP() << "built without OpenCV's dnn module";
#else
  TempDir dir;
  CrossCheck(std::string(CREMA_SOURCE_DIR) + "/models/squeezenet/deploy.prototxt",
             {"fire2/concat", "pool5", "prob"}, dir, ScaledRandomWeights);
#endif
}

TEST(OpenCVCrossCheck, MobileNetV1) {
#ifndef CREMA_HAVE_OPENCV_DNN
  GTEST_SKIP() << "built without OpenCV's dnn module";
#else
  TempDir dir;
  CrossCheck(std::string(CREMA_SOURCE_DIR) + "/models/mobilenet/deploy.prototxt",
             {"pool6", "prob"}, dir, ScaledRandomWeights);
#endif
}

// MobileNet-SSD weights: scaled random ones, which give confident and
// distinct scores (keep_top_k's 100 boxes pass the 0.25 threshold); the
// confidence heads' biases also favour class 7.
void SsdWeights(Net* net) {
  ScaledRandomWeights(net);
  for (const auto& layer : net->layers()) {
    const std::string& name = layer->name();
    if (name.size() < 10 || name.compare(name.size() - 10, 10, "_mbox_conf") != 0) continue;
    float* bias = layer->blobs()[1]->mutable_cpu_data();
    for (int i = 0; i < layer->blobs()[1]->count(); ++i) bias[i] = i % 21 == 7 ? 2.f : 0.f;
  }
}

TEST(OpenCVCrossCheck, MobileNetSsdDetections) {
#ifndef CREMA_HAVE_OPENCV_DNN
  GTEST_SKIP() << "built without OpenCV's dnn module";
#else
  const std::string corpus = CompatCorpusDir();
  if (corpus.empty()) GTEST_SKIP() << kNoCompatCorpus;
  const std::string prototxt = corpus + "/zoo-prototxt/mobilenet_ssd/MobileNetSSD_deploy.prototxt";
  TempDir dir;
  Crema::set_random_seed(1701);
  Net net(prototxt, TEST);
  SsdWeights(&net);
  NetParameter weights;
  net.ToProto(&weights);
  const std::string caffemodel = dir / "mobilenet_ssd.caffemodel";
  WriteProtoToBinaryFile(weights, caffemodel);
  cv::dnn::Net reference = cv::dnn::readNetFromCaffe(prototxt, caffemodel);
  ASSERT_FALSE(reference.empty());
  reference.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
  reference.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
  Blob* input = net.input_blobs()[0];
  // Two generated images: a gradient with a bright square, and noise.
  for (int image = 0; image < 2; ++image) {
    SCOPED_TRACE("image " + std::to_string(image));
    float* x = input->mutable_cpu_data();
    for (int i = 0; i < input->count(); ++i) {
      const int w = i % 300, h = (i / 300) % 300;
      x[i] = image == 0 ? (w > 80 && w < 200 && h > 60 && h < 160 ? 0.9f : w / 300.f - 0.5f)
                        : 0.f;
    }
    if (image == 1) rng_uniform(input->count(), -1.f, 1.f, x);
    net.Forward();
    const Blob& ours = *net.blob_by_name("detection_out");
    const std::vector<int> shape = input->shape();
    cv::Mat blob(static_cast<int>(shape.size()), shape.data(), CV_32F);
    std::copy(input->cpu_data(), input->cpu_data() + input->count(), blob.ptr<float>());
    reference.setInput(blob);
    std::vector<cv::Mat> outs;
    reference.forward(outs, std::vector<cv::String>{"mbox_loc", "mbox_conf_flatten",
                                                    "mbox_priorbox", "detection_out"});
    const char* inputs[3] = {"mbox_loc", "mbox_conf_flatten", "mbox_priorbox"};
    for (int k = 0; k < 3; ++k) {
      const double error = RelativeError(*net.blob_by_name(inputs[k]), outs[k]);
      std::cout << "[opencv] " << inputs[k] << " relative error " << error << "\n";
      EXPECT_LE(error, 1e-4) << inputs[k];
    }
    const cv::Mat& theirs = outs[3];
    ASSERT_EQ(static_cast<size_t>(ours.count()), theirs.total());
    const int rows = ours.count() / 7;
    std::cout << "[opencv] MobileNet-SSD image " << image << ": " << rows << " detections\n";
    EXPECT_GT(rows, 3);
    // OpenCV orders the rows by score, the SSD fork (and crema) by label
    // first: compare the rows sorted by image, then descending score.
    auto sorted_rows = [rows](const float* data) {
      std::vector<std::vector<float>> list;
      for (int r = 0; r < rows; ++r) list.emplace_back(data + r * 7, data + r * 7 + 7);
      std::sort(list.begin(), list.end(), [](const auto& a, const auto& b) {
        return a[0] != b[0] ? a[0] < b[0] : a[2] > b[2];
      });
      return list;
    };
    const auto a_rows = sorted_rows(ours.cpu_data());
    const auto b_rows = sorted_rows(theirs.ptr<float>());
    for (int r = 0; r < rows; ++r) {
      EXPECT_EQ(a_rows[r][1], b_rows[r][1]) << "label of detection " << r;
      for (int k = 2; k < 7; ++k) {
        EXPECT_NEAR(a_rows[r][k], b_rows[r][k], 1e-4) << "detection " << r << " value " << k;
      }
    }
  }
#endif
}

}  // namespace
}  // namespace testing
}  // namespace crema
