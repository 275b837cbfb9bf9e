// Fast R-CNN's pieces (overlap, box targets, NMS, VOC AP) on hand-computed
// cases, the generated shapes, and the demo: a short training run reaches
// the mAP stated in models/fast_rcnn_shapes/README.md.
#include <gtest/gtest.h>

#include <cmath>
#include <iostream>
#include <random>

#include "crema/common.hpp"
#include "crema/fast_rcnn/boxes.hpp"
#include "crema/fast_rcnn/shapes.hpp"
#include "crema/fast_rcnn/shapes_demo.hpp"

namespace crema {
namespace fast_rcnn {
namespace {

TEST(FastRcnnBoxes, IoUOfInclusiveCorners) {
  const Box a{0, 0, 9, 9};  // 10 x 10
  EXPECT_FLOAT_EQ(IoU(a, a), 1.f);
  EXPECT_FLOAT_EQ(IoU(a, Box{5, 0, 14, 9}), 50.f / 150.f);
  EXPECT_FLOAT_EQ(IoU(a, Box{10, 0, 19, 9}), 0.f);
  EXPECT_FLOAT_EQ(IoU(a, Box{9, 9, 18, 18}), 1.f / 199.f);  // one shared pixel
}

TEST(FastRcnnBoxes, SlidingWindowsAndTargetsRoundTrip) {
  const auto windows = SlidingWindows(16, {8, 16}, 4);
  ASSERT_EQ(windows.size(), 9u + 1u);  // 3 x 3 of size 8, one of size 16
  EXPECT_FLOAT_EQ(windows[4].x1, 4.f);
  EXPECT_FLOAT_EQ(windows[4].x2, 11.f);
  const Box roi{10, 20, 29, 29};  // 20 x 10, center (20, 25)
  const Box object{12, 18, 51, 37};  // 40 x 20, center (32, 28)
  const auto t = EncodeBox(roi, object);
  EXPECT_FLOAT_EQ(t[0], 12.f / 20.f / 0.1f);
  EXPECT_FLOAT_EQ(t[1], 3.f / 10.f / 0.1f);
  EXPECT_NEAR(t[2], std::log(2.f) / 0.2f, 1e-5);
  EXPECT_NEAR(t[3], std::log(2.f) / 0.2f, 1e-5);
  const Box back = DecodeBox(roi, t.data(), 100);
  EXPECT_NEAR(back.x1, object.x1, 1e-4);
  EXPECT_NEAR(back.y1, object.y1, 1e-4);
  EXPECT_NEAR(back.x2, object.x2, 1e-4);
  EXPECT_NEAR(back.y2, object.y2, 1e-4);
  const Box clipped = DecodeBox(roi, t.data(), 40);
  EXPECT_FLOAT_EQ(clipped.x2, 39.f);
}

TEST(FastRcnnBoxes, NmsKeepsTheBestOfEachCluster) {
  std::vector<LabeledBox> boxes(4);
  boxes[0].box = {0, 0, 9, 9}, boxes[0].score = 0.6f;
  boxes[1].box = {1, 0, 10, 9}, boxes[1].score = 0.9f;  // IoU 0.82 with [0]
  boxes[2].box = {20, 20, 29, 29}, boxes[2].score = 0.3f;
  boxes[3].box = {5, 0, 14, 9}, boxes[3].score = 0.5f;  // IoU 0.43 with [1]
  EXPECT_EQ(Nms(boxes, 0.5f), (std::vector<int>{1, 3, 2}));
  EXPECT_EQ(Nms(boxes, 0.3f), (std::vector<int>{1, 2}));
}

TEST(FastRcnnBoxes, VocAveragePrecisionByHand) {
  // Two objects of class 1 (images 0 and 1), one of class 2.
  std::vector<LabeledBox> objects(3);
  objects[0].box = {0, 0, 9, 9}, objects[0].label = 1, objects[0].image = 0;
  objects[1].box = {0, 0, 9, 9}, objects[1].label = 1, objects[1].image = 1;
  objects[2].box = {20, 20, 29, 29}, objects[2].label = 2, objects[2].image = 0;
  // Class 1 by score: hit (image 0), duplicate of it (a false positive),
  // miss, hit (image 1). Precision 1, 1/2, 1/3, 1/2 at recall 1/2, 1/2,
  // 1/2, 1: the envelope gives 1 * 1/2 + 1/2 * 1/2 = 0.75.
  std::vector<LabeledBox> detections(4);
  detections[0].box = {0, 0, 9, 9}, detections[0].score = 0.9f;
  detections[1].box = {1, 1, 9, 9}, detections[1].score = 0.8f;
  detections[2].box = {40, 40, 49, 49}, detections[2].score = 0.7f;
  detections[3].box = {1, 0, 10, 9}, detections[3].score = 0.6f, detections[3].image = 1;
  for (auto& d : detections) d.label = 1;
  EXPECT_FLOAT_EQ(AveragePrecision(detections, objects, 1), 0.75f);
  // A box overlapping by less than 0.5 is a miss: only image 1's object found.
  detections[0].box = {5, 5, 14, 14};
  detections[1].box = {40, 40, 49, 49};
  EXPECT_FLOAT_EQ(AveragePrecision(detections, objects, 1), 0.5f * 0.25f);
  EXPECT_FLOAT_EQ(AveragePrecision(detections, objects, 2), 0.f);  // none detected
  EXPECT_FLOAT_EQ(AveragePrecision(detections, objects, 3), 0.f);  // no objects
}

TEST(FastRcnnShapes, ImagesAndSampledRegions) {
  std::mt19937 rng(3);
  for (int i = 0; i < 20; ++i) {
    const ShapeImage shapes = RenderShapes(64, &rng);
    ASSERT_GE(shapes.objects.size(), 1u);
    for (const auto& o : shapes.objects) {
      EXPECT_GE(o.label, kSquare);
      EXPECT_LE(o.label, kTriangle);
      EXPECT_GE(o.box.x1, 0.f);
      EXPECT_LE(o.box.x2, 63.f);
      // The shape is drawn: its box's center is bright.
      const int cx = static_cast<int>(o.box.x1 + o.box.width() / 2);
      const int cy = static_cast<int>(o.box.y1 + o.box.height() * 0.6f);
      EXPECT_GE(shapes.image.at<uchar>(cy, cx), 140) << ShapeName(o.label);
    }
    const auto windows = SlidingWindows(64, ShapesWindowSizes(), 4);
    const RoiSample sample = SampleRois(windows, shapes.objects, 32, &rng);
    ASSERT_EQ(sample.rois.size(), 32u);
    int foreground = 0;
    for (size_t r = 0; r < 32; ++r) {
      float best = 0;
      for (const auto& o : shapes.objects) best = std::max(best, IoU(sample.rois[r], o.box));
      if (sample.labels[r] > 0) {
        ++foreground;
        EXPECT_GE(best, 0.5f);
      } else {
        EXPECT_LT(best, 0.5f);
      }
    }
    EXPECT_GE(foreground, 1);
    EXPECT_LE(foreground, 8);
  }
}

// The stated figure (models/fast_rcnn_shapes/README.md): mAP >= 0.8 after
// the short run; `make bench` runs the full solver.
TEST(FastRcnnShapes, ShortTrainingReachesTheStatedMap) {
  ShapesDemoOptions options;
  options.solver_file =
      std::string(CREMA_SOURCE_DIR) + "/models/fast_rcnn_shapes/fast_rcnn_solver.prototxt";
  options.test_net_file = std::string(CREMA_SOURCE_DIR) + "/models/fast_rcnn_shapes/test.prototxt";
  options.iterations = 600;
  options.test_images = 60;
  const ShapesDemoResult result = RunShapesDemo(options);
  std::cout << "[fast_rcnn_shapes] " << result.iterations << " iterations, loss "
            << result.first_loss << " -> " << result.last_loss << ", mAP "
            << result.mean_average_precision << " (square " << result.average_precision[1]
            << ", circle " << result.average_precision[2] << ", triangle "
            << result.average_precision[3] << ")\n";
  EXPECT_LT(result.last_loss, 0.5f * result.first_loss);
  EXPECT_GE(result.mean_average_precision, 0.8f);
}

}  // namespace
}  // namespace fast_rcnn
}  // namespace crema
