// The Fast R-CNN demo on generated shapes (models/fast_rcnn_shapes): trains
// the net of solver_file (a small conv net, ROIPooling, a class softmax and
// a box regression with SmoothL1Loss) on sliding-window proposals over
// generated images, then detects on new images with test_net_file and
// scores the detections with PASCAL VOC's mAP at IoU 0.5.
#ifndef CREMA_FAST_RCNN_SHAPES_DEMO_HPP_
#define CREMA_FAST_RCNN_SHAPES_DEMO_HPP_

#include <opencv2/core.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "crema/fast_rcnn/boxes.hpp"
#include "crema/net.hpp"

namespace crema {
namespace fast_rcnn {

struct ShapesDemoOptions {
  std::string solver_file;    // models/fast_rcnn_shapes/fast_rcnn_solver.prototxt
  std::string test_net_file;  // models/fast_rcnn_shapes/test.prototxt
  int iterations = 0;         // 0: the solver's max_iter
  int test_images = 100;
  uint64_t seed = 1;          // images, sampling and the net's fillers
};

struct ShapesDemoResult {
  std::vector<float> average_precision;  // by class; [0] (background) unused
  float mean_average_precision = 0;
  float first_loss = 0;  // the mean total loss of the first and last 20 iterations
  float last_loss = 0;
  int iterations = 0;
};

// The images are image_size x image_size (the input of the nets' data blob).
constexpr int kShapesImageSize = 64;
// Proposals: square windows of these sizes every 4 pixels.
const std::vector<int>& ShapesWindowSizes();

ShapesDemoResult RunShapesDemo(const ShapesDemoOptions& options);

// Detections of a trained test net on one image: per class, windows scored
// above 0.05, moved by the box regression, non-maximum suppressed at 0.3.
std::vector<LabeledBox> DetectShapes(Net* net, const cv::Mat& image, int image_index);

}  // namespace fast_rcnn
}  // namespace crema

#endif  // CREMA_FAST_RCNN_SHAPES_DEMO_HPP_
