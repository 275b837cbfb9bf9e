// Generated detection data for the Fast R-CNN demo: gray images holding a
// few filled squares, circles and triangles at random places (their boxes
// known), and the training regions Fast R-CNN samples from proposals.
#ifndef CREMA_FAST_RCNN_SHAPES_HPP_
#define CREMA_FAST_RCNN_SHAPES_HPP_

#include <opencv2/core.hpp>

#include <random>
#include <string>
#include <vector>

#include "crema/fast_rcnn/boxes.hpp"

namespace crema {
namespace fast_rcnn {

// Classes: 0 background, then these.
enum ShapeClass { kSquare = 1, kCircle = 2, kTriangle = 3, kNumShapeClasses = 4 };
const char* ShapeName(int label);

struct ShapeImage {
  cv::Mat image;                     // size x size, 8-bit, one channel
  std::vector<LabeledBox> objects;  // 1 to 3 shapes, not overlapping
};

// Shapes 14 to 28 pixels wide on a noisy background.
ShapeImage RenderShapes(int size, std::mt19937* rng);

// One image's share of a training batch, as Fast R-CNN samples it: up to a
// quarter of `count` regions overlapping an object by IoU >= 0.5 (labelled
// with its class, with regression targets to it), the rest background
// (IoU < 0.5, label 0). Candidates are the proposals and the objects' own
// boxes.
struct RoiSample {
  std::vector<Box> rois;
  std::vector<int> labels;
  std::vector<std::array<float, 4>> targets;  // zero for background
};
RoiSample SampleRois(const std::vector<Box>& proposals, const std::vector<LabeledBox>& objects,
                     int count, std::mt19937* rng);

}  // namespace fast_rcnn
}  // namespace crema

#endif  // CREMA_FAST_RCNN_SHAPES_HPP_
