// Cross-check against an independent reader of Caffe files: crema writes a
// net's random weights to a .caffemodel; OpenCV's dnn module loads the same
// prototxt and caffemodel; both forward passes must agree to 1e-4 relative
// error. This proves the files are real Caffe files and the layers compute
// what Caffe's do.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "crema/common.hpp"
#include "crema/io/proto_io.hpp"
#include "crema/io/upgrade_proto.hpp"
#include "crema/math/math_functions.hpp"
#include "crema/net.hpp"
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
                const TempDir& dir) {
  Crema::set_random_seed(1701);
  Net net(prototxt, TEST);
  RandomizeWeights(&net);
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

}  // namespace
}  // namespace testing
}  // namespace crema
