// Detector (tools/detect's library): a small detection net whose weights
// make every prior a confident "1" finds one box per cell, in the image's
// pixels, and DrawDetections marks them.
#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>

#include <string>
#include <vector>

#include "crema/detector.hpp"
#include "crema/io/proto_io.hpp"
#include "crema/net.hpp"
#include "solver/solver_test_util.hpp"

namespace crema {
namespace {

// 32 x 32 input pooled to a 2 x 2 map; one 16 x 16 prior per cell.
const char kNet[] = R"(
name: "grid_detector"
layer { name: "data" type: "Input" top: "data"
        input_param { shape { dim: 1 dim: 3 dim: 32 dim: 32 } } }
layer { name: "pool" type: "Pooling" bottom: "data" top: "pool"
        pooling_param { pool: AVE kernel_size: 16 stride: 16 } }
layer { name: "loc" type: "Convolution" bottom: "pool" top: "loc"
        convolution_param { num_output: 4 kernel_size: 1 } }
layer { name: "loc_perm" type: "Permute" bottom: "loc" top: "loc_perm"
        permute_param { order: 0 order: 2 order: 3 order: 1 } }
layer { name: "loc_flat" type: "Flatten" bottom: "loc_perm" top: "loc_flat" }
layer { name: "conf" type: "Convolution" bottom: "pool" top: "conf"
        convolution_param { num_output: 2 kernel_size: 1 } }
layer { name: "conf_perm" type: "Permute" bottom: "conf" top: "conf_perm"
        permute_param { order: 0 order: 2 order: 3 order: 1 } }
layer { name: "conf_flat" type: "Flatten" bottom: "conf_perm" top: "conf_flat" }
layer { name: "conf_reshape" type: "Reshape" bottom: "conf_flat" top: "conf_reshape"
        reshape_param { shape { dim: 0 dim: -1 dim: 2 } } }
layer { name: "conf_softmax" type: "Softmax" bottom: "conf_reshape" top: "conf_softmax"
        softmax_param { axis: 2 } }
layer { name: "conf_out" type: "Flatten" bottom: "conf_softmax" top: "conf_out" }
layer { name: "prior" type: "PriorBox" bottom: "pool" bottom: "data" top: "prior"
        prior_box_param { min_size: 16 variance: 0.1 variance: 0.1 variance: 0.2 variance: 0.2 } }
layer { name: "detection_out" type: "DetectionOutput"
        bottom: "loc_flat" bottom: "conf_out" bottom: "prior" top: "detection_out"
        detection_output_param { num_classes: 2 code_type: CENTER_SIZE
          nms_param { nms_threshold: 0.45 } confidence_threshold: 0.5 } }
)";

TEST(Detector, FindsOneBoxPerCellAndDraws) {
  testing::TempDir dir;
  testing::WriteTextFile(dir / "deploy.prototxt", kNet);
  {
    Net net(dir / "deploy.prototxt", TEST);
    for (const auto& layer : net.layers()) {
      for (const auto& blob : layer->blobs()) {
        std::fill(blob->mutable_cpu_data(), blob->mutable_cpu_data() + blob->count(), 0.f);
      }
    }
    net.layer_by_name("conf")->blobs()[1]->mutable_cpu_data()[1] = 2.f;  // class 1
    NetParameter weights;
    net.ToProto(&weights);
    WriteProtoToBinaryFile(weights, dir / "w.caffemodel");
  }
  testing::WriteTextFile(dir / "labels.txt", "background\nsquare\n");
  DetectorOptions options;
  options.model_file = dir / "deploy.prototxt";
  options.weights_files = {dir / "w.caffemodel"};
  options.labels_file = dir / "labels.txt";
  Detector detector(options);
  cv::Mat image(60, 80, CV_8UC3, cv::Scalar(255, 255, 255));
  const std::vector<Detection> found = detector.Detect(image);
  ASSERT_EQ(4u, found.size());
  // Equal scores keep prior order: cell (0, 0) first, a quarter of the image.
  EXPECT_EQ("square", found[0].name);
  EXPECT_NEAR(1.f / (1.f + std::exp(-2.f)), found[0].score, 1e-5);
  EXPECT_NEAR(0.f, found[0].xmin, 1e-3);
  EXPECT_NEAR(40.f, found[0].xmax, 1e-3);
  EXPECT_NEAR(30.f, found[0].ymax, 1e-3);
  DrawDetections(found, &image);
  const cv::Vec3b edge = image.at<cv::Vec3b>(15, 0);  // the first box's left side
  EXPECT_EQ(255, edge[2]);
  EXPECT_LT(edge[0], 100);
  options.weights_files = {};
  options.threshold = 0.95f;
  EXPECT_TRUE(Detector(options).Detect(image).empty());
}

}  // namespace
}  // namespace crema
