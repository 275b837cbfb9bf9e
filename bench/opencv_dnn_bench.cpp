// Times OpenCV's dnn module on a Caffe deploy prototxt at batch 1, for
// `make bench`. The weights are crema's fillers with small Gaussian noise
// on top (deploy nets may have no fillers), written once as a .caffemodel
// so OpenCV reads the same net crema runs.
//
// Usage: opencv_dnn_bench NET.prototxt ITERATIONS THREADS
#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "crema/io/proto_io.hpp"
#include "crema/io/upgrade_proto.hpp"
#include "crema/math/math_functions.hpp"
#include "crema/net.hpp"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "Usage: %s NET.prototxt ITERATIONS THREADS\n", argv[0]);
    return 2;
  }
  const std::string model = argv[1];
  const int iterations = std::max(1, std::atoi(argv[2]));
  const int threads = std::max(1, std::atoi(argv[3]));
  std::vector<int> input_shape;
  std::string weights_path;
  try {
    crema::NetParameter param;
    crema::ReadNetParamsFromTextFile(model, &param);
    for (auto& layer : *param.mutable_layer()) {
      if (layer.type() == "Input") {
        auto* shape = layer.mutable_input_param()->mutable_shape(0);
        shape->set_dim(0, 1);
        for (int d = 0; d < shape->dim_size(); ++d) {
          input_shape.push_back(static_cast<int>(shape->dim(d)));
        }
      }
    }
    param.mutable_state()->set_phase(crema::TEST);
    crema::Net net(param);
    for (crema::Blob* blob : net.learnable_params()) {
      crema::rng_gaussian(blob->count(), 0.f, 0.01f, blob->mutable_cpu_data());
    }
    crema::NetParameter trained;
    net.ToProto(&trained);
    weights_path = "/tmp/crema_opencv_bench_" + std::to_string(getpid()) +
                   ".caffemodel";
    crema::WriteProtoToBinaryFile(trained, weights_path);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  cv::setNumThreads(threads);
  cv::dnn::Net net = cv::dnn::readNetFromCaffe(model, weights_path);
  std::remove(weights_path.c_str());
  net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
  net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
  cv::Mat input(static_cast<int>(input_shape.size()), input_shape.data(), CV_32F);
  cv::randn(input, 0.f, 1.f);
  net.setInput(input);
  net.forward();  // warm-up: allocations and layer fusion
  std::vector<double> ms;
  for (int i = 0; i < iterations; ++i) {
    const auto start = std::chrono::steady_clock::now();
    net.setInput(input);
    cv::Mat out = net.forward();
    ms.push_back(std::chrono::duration<double, std::milli>(
                     std::chrono::steady_clock::now() - start).count());
  }
  std::sort(ms.begin(), ms.end());
  std::printf("Median iteration: %.3f ms\n", ms[ms.size() / 2]);
  std::printf("OpenCV %s, %d threads\n", CV_VERSION, cv::getNumThreads());
  return 0;
}
