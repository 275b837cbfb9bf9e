// Box arithmetic for Fast R-CNN: overlap, sliding-window proposals, the
// regression targets between a proposal and an object, non-maximum
// suppression, and PASCAL VOC's average precision.
//
// Boxes are in pixels with inclusive corners (x1, y1, x2, y2), as Fast R-CNN
// and the ROIPooling layer take them: a box's width is x2 - x1 + 1.
#ifndef CREMA_FAST_RCNN_BOXES_HPP_
#define CREMA_FAST_RCNN_BOXES_HPP_

#include <array>
#include <vector>

namespace crema {
namespace fast_rcnn {

struct Box {
  float x1 = 0, y1 = 0, x2 = 0, y2 = 0;
  float width() const { return x2 - x1 + 1; }
  float height() const { return y2 - y1 + 1; }
};

// An object (ground truth) or a detection: a box and a class (1, 2, ...;
// 0 is background).
struct LabeledBox {
  Box box;
  int label = 0;
  float score = 1;
  int image = 0;  // which image it belongs to
};

// Intersection over union; 0 for disjoint boxes.
float IoU(const Box& a, const Box& b);

// Square windows of each size in `sizes`, every `stride` pixels, inside an
// image_size x image_size image.
std::vector<Box> SlidingWindows(int image_size, const std::vector<int>& sizes, int stride);

// Fast R-CNN's regression target from `roi` to `object`: (dx, dy, dw, dh)
// = ((gx - px) / pw, (gy - py) / ph, log(gw / pw), log(gh / ph)) of the
// centers and sizes, divided by kTargetStds.
std::array<float, 4> EncodeBox(const Box& roi, const Box& object);
// The inverse: the box that `deltas` (as EncodeBox gives them) make of roi,
// clipped to the image.
Box DecodeBox(const Box& roi, const float* deltas, int image_size);
constexpr std::array<float, 4> kTargetStds = {0.1f, 0.1f, 0.2f, 0.2f};

// Indices of the boxes kept by greedy non-maximum suppression: highest score
// first, dropping every box whose IoU with a kept one exceeds threshold.
std::vector<int> Nms(const std::vector<LabeledBox>& boxes, float threshold);

// PASCAL VOC average precision of one class: detections sorted by score;
// one is a true positive when its IoU with a not yet matched object of its
// class in its image is at least min_iou (the best-overlapping object is
// the one tried); AP is the area under the precision envelope over all
// recall points (VOC 2010 onwards). 0 when the class has no objects.
float AveragePrecision(const std::vector<LabeledBox>& detections,
                       const std::vector<LabeledBox>& objects, int label,
                       float min_iou = 0.5f);

}  // namespace fast_rcnn
}  // namespace crema

#endif  // CREMA_FAST_RCNN_BOXES_HPP_
