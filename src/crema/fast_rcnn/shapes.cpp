#include "crema/fast_rcnn/shapes.hpp"

#include <opencv2/imgproc.hpp>

#include <algorithm>

namespace crema {
namespace fast_rcnn {

const char* ShapeName(int label) {
  switch (label) {
    case kSquare: return "square";
    case kCircle: return "circle";
    case kTriangle: return "triangle";
    default: return "background";
  }
}

namespace {

void DrawShape(int label, const Box& box, int gray, cv::Mat* image) {
  const int x1 = static_cast<int>(box.x1), y1 = static_cast<int>(box.y1);
  const int x2 = static_cast<int>(box.x2), y2 = static_cast<int>(box.y2);
  const cv::Scalar color(gray);
  if (label == kSquare) {
    cv::rectangle(*image, cv::Point(x1, y1), cv::Point(x2, y2), color, cv::FILLED);
  } else if (label == kCircle) {
    const int r = (x2 - x1) / 2;
    cv::circle(*image, cv::Point(x1 + r, y1 + r), r, color, cv::FILLED);
  } else {
    const std::vector<cv::Point> corners = {{x1, y2}, {x2, y2}, {(x1 + x2) / 2, y1}};
    cv::fillConvexPoly(*image, corners, color);
  }
}

}  // namespace

ShapeImage RenderShapes(int size, std::mt19937* rng) {
  ShapeImage result;
  result.image = cv::Mat(size, size, CV_8UC1);
  std::normal_distribution<float> noise(40.f, 15.f);
  for (int i = 0; i < size * size; ++i) {
    result.image.data[i] = cv::saturate_cast<uchar>(noise(*rng));
  }
  std::uniform_int_distribution<int> count(1, 3), label(1, 3), side(14, 28), gray(140, 255);
  const int wanted = count(*rng);
  for (int attempt = 0; attempt < 50 && static_cast<int>(result.objects.size()) < wanted;
       ++attempt) {
    const int s = side(*rng);
    std::uniform_int_distribution<int> place(0, size - s);
    LabeledBox object;
    object.box = {static_cast<float>(place(*rng)), static_cast<float>(place(*rng)), 0, 0};
    object.box.x2 = object.box.x1 + s - 1;
    object.box.y2 = object.box.y1 + s - 1;
    object.label = label(*rng);
    bool apart = true;
    for (const auto& other : result.objects) apart = apart && IoU(other.box, object.box) == 0;
    if (!apart) continue;
    DrawShape(object.label, object.box, gray(*rng), &result.image);
    result.objects.push_back(object);
  }
  return result;
}

RoiSample SampleRois(const std::vector<Box>& proposals, const std::vector<LabeledBox>& objects,
                     int count, std::mt19937* rng) {
  std::vector<Box> candidates = proposals;
  for (const auto& o : objects) candidates.push_back(o.box);
  std::vector<int> foreground, background, best_object(candidates.size(), -1);
  for (size_t i = 0; i < candidates.size(); ++i) {
    float best = 0;
    for (size_t k = 0; k < objects.size(); ++k) {
      const float iou = IoU(candidates[i], objects[k].box);
      if (iou > best) best = iou, best_object[i] = static_cast<int>(k);
    }
    (best >= 0.5f ? foreground : background).push_back(static_cast<int>(i));
  }
  std::shuffle(foreground.begin(), foreground.end(), *rng);
  std::shuffle(background.begin(), background.end(), *rng);
  const int fg = std::min<int>(count / 4, foreground.size());
  RoiSample sample;
  for (int n = 0; n < count; ++n) {
    const bool is_fg = n < fg;
    const int i = is_fg ? foreground[n] : background[(n - fg) % background.size()];
    sample.rois.push_back(candidates[i]);
    sample.labels.push_back(is_fg ? objects[best_object[i]].label : 0);
    sample.targets.push_back(is_fg ? EncodeBox(candidates[i], objects[best_object[i]].box)
                                   : std::array<float, 4>{0, 0, 0, 0});
  }
  return sample;
}

}  // namespace fast_rcnn
}  // namespace crema
