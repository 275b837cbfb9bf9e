#include "crema/fast_rcnn/boxes.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace crema {
namespace fast_rcnn {

float IoU(const Box& a, const Box& b) {
  const float w = std::min(a.x2, b.x2) - std::max(a.x1, b.x1) + 1;
  const float h = std::min(a.y2, b.y2) - std::max(a.y1, b.y1) + 1;
  if (w <= 0 || h <= 0) return 0.f;
  const float inter = w * h;
  return inter / (a.width() * a.height() + b.width() * b.height() - inter);
}

std::vector<Box> SlidingWindows(int image_size, const std::vector<int>& sizes, int stride) {
  std::vector<Box> windows;
  for (int size : sizes) {
    for (int y = 0; y + size <= image_size; y += stride) {
      for (int x = 0; x + size <= image_size; x += stride) {
        windows.push_back({static_cast<float>(x), static_cast<float>(y),
                           static_cast<float>(x + size - 1), static_cast<float>(y + size - 1)});
      }
    }
  }
  return windows;
}

std::array<float, 4> EncodeBox(const Box& roi, const Box& object) {
  const float px = roi.x1 + 0.5f * roi.width(), py = roi.y1 + 0.5f * roi.height();
  const float gx = object.x1 + 0.5f * object.width(), gy = object.y1 + 0.5f * object.height();
  return {(gx - px) / roi.width() / kTargetStds[0], (gy - py) / roi.height() / kTargetStds[1],
          std::log(object.width() / roi.width()) / kTargetStds[2],
          std::log(object.height() / roi.height()) / kTargetStds[3]};
}

Box DecodeBox(const Box& roi, const float* deltas, int image_size) {
  const float px = roi.x1 + 0.5f * roi.width(), py = roi.y1 + 0.5f * roi.height();
  const float cx = px + deltas[0] * kTargetStds[0] * roi.width();
  const float cy = py + deltas[1] * kTargetStds[1] * roi.height();
  // exp of a wild prediction must not overflow: clamp the log-scale.
  const float w = roi.width() * std::exp(std::min(deltas[2] * kTargetStds[2], 4.f));
  const float h = roi.height() * std::exp(std::min(deltas[3] * kTargetStds[3], 4.f));
  const float last = static_cast<float>(image_size - 1);
  Box box;
  box.x1 = std::clamp(cx - 0.5f * w, 0.f, last);
  box.y1 = std::clamp(cy - 0.5f * h, 0.f, last);
  box.x2 = std::clamp(cx + 0.5f * w - 1, 0.f, last);
  box.y2 = std::clamp(cy + 0.5f * h - 1, 0.f, last);
  return box;
}

std::vector<int> Nms(const std::vector<LabeledBox>& boxes, float threshold) {
  std::vector<int> order(boxes.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int a, int b) { return boxes[a].score > boxes[b].score; });
  std::vector<int> kept;
  for (int i : order) {
    bool keep = true;
    for (int k : kept) {
      if (IoU(boxes[i].box, boxes[k].box) > threshold) {
        keep = false;
        break;
      }
    }
    if (keep) kept.push_back(i);
  }
  return kept;
}

float AveragePrecision(const std::vector<LabeledBox>& detections,
                       const std::vector<LabeledBox>& objects, int label, float min_iou) {
  std::vector<const LabeledBox*> mine;
  for (const auto& d : detections) {
    if (d.label == label) mine.push_back(&d);
  }
  std::stable_sort(mine.begin(), mine.end(),
                   [](const LabeledBox* a, const LabeledBox* b) { return a->score > b->score; });
  int positives = 0;
  for (const auto& o : objects) positives += o.label == label;
  if (positives == 0) return 0.f;
  std::vector<bool> matched(objects.size(), false);
  std::vector<float> precision, recall;
  int tp = 0;
  for (size_t i = 0; i < mine.size(); ++i) {
    int best = -1;
    float best_iou = 0;
    for (size_t k = 0; k < objects.size(); ++k) {
      if (objects[k].label != label || objects[k].image != mine[i]->image) continue;
      const float iou = IoU(mine[i]->box, objects[k].box);
      if (iou > best_iou) best_iou = iou, best = static_cast<int>(k);
    }
    if (best >= 0 && best_iou >= min_iou && !matched[best]) {
      matched[best] = true;
      ++tp;
    }
    precision.push_back(static_cast<float>(tp) / (i + 1));
    recall.push_back(static_cast<float>(tp) / positives);
  }
  // Precision envelope, then the area under it where recall changes.
  for (int i = static_cast<int>(precision.size()) - 2; i >= 0; --i) {
    precision[i] = std::max(precision[i], precision[i + 1]);
  }
  float ap = 0, last_recall = 0;
  for (size_t i = 0; i < recall.size(); ++i) {
    ap += (recall[i] - last_recall) * precision[i];
    last_recall = recall[i];
  }
  return ap;
}

}  // namespace fast_rcnn
}  // namespace crema
