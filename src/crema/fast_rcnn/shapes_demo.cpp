#include "crema/fast_rcnn/shapes_demo.hpp"

#include <algorithm>
#include <filesystem>
#include <memory>
#include <numeric>

#include "crema/common.hpp"
#include "crema/fast_rcnn/shapes.hpp"
#include "crema/solver.hpp"

namespace crema {
namespace fast_rcnn {

const std::vector<int>& ShapesWindowSizes() {
  static const std::vector<int> sizes = {12, 16, 20, 24, 28, 32};
  return sizes;
}

namespace {

Blob* NetBlob(Net* net, const std::string& name) {
  if (!net->has_blob(name)) {
    Throw("The net '", net->name(), "' has no blob '", name, "', which the Fast R-CNN shapes "
          "demo feeds; see models/fast_rcnn_shapes/.");
  }
  return net->blob_by_name(name).get();
}

void CopyImage(const cv::Mat& image, int n, Blob* data) {
  float* out = data->mutable_cpu_data() + data->offset(n);
  for (int i = 0; i < image.rows * image.cols; ++i) out[i] = image.data[i] / 255.f;
}

// Fills the train net's inputs with one batch of images and sampled regions.
void FillTrainBatch(Net* net, const std::vector<Box>& windows, std::mt19937* rng) {
  Blob* data = NetBlob(net, "data");
  Blob* rois = NetBlob(net, "rois");
  const int images = data->shape(0);
  const int per_image = rois->shape(0) / images;
  if (per_image * images != rois->shape(0)) {
    Throw("The train net's 'rois' (", rois->shape_string(), ") must hold the same number of "
          "regions for each of its ", images, " images.");
  }
  float* roi = rois->mutable_cpu_data();
  float* labels = NetBlob(net, "labels")->mutable_cpu_data();
  Blob* targets = NetBlob(net, "bbox_targets");
  const int width = targets->count(1);
  float* target = targets->mutable_cpu_data();
  float* inside = NetBlob(net, "bbox_inside_weights")->mutable_cpu_data();
  float* outside = NetBlob(net, "bbox_outside_weights")->mutable_cpu_data();
  std::fill(target, target + targets->count(), 0.f);
  std::fill(inside, inside + targets->count(), 0.f);
  std::fill(outside, outside + targets->count(), 0.f);
  for (int n = 0; n < images; ++n) {
    const ShapeImage shapes = RenderShapes(kShapesImageSize, rng);
    CopyImage(shapes.image, n, data);
    const RoiSample sample = SampleRois(windows, shapes.objects, per_image, rng);
    for (int r = 0; r < per_image; ++r) {
      const int row = n * per_image + r;
      const Box& b = sample.rois[r];
      const float values[5] = {static_cast<float>(n), b.x1, b.y1, b.x2, b.y2};
      std::copy(values, values + 5, roi + row * 5);
      labels[row] = static_cast<float>(sample.labels[r]);
      if (sample.labels[r] == 0) continue;
      // Only the four outputs of the region's own class are regressed.
      const int at = row * width + 4 * sample.labels[r];
      std::copy(sample.targets[r].begin(), sample.targets[r].end(), target + at);
      std::fill(inside + at, inside + at + 4, 1.f);
      std::fill(outside + at, outside + at + 4, 1.f);
    }
  }
}

float Mean(const std::vector<float>& values, size_t from, size_t to) {
  to = std::min(to, values.size());
  if (from >= to) return 0.f;
  return std::accumulate(values.begin() + from, values.begin() + to, 0.f) / (to - from);
}

}  // namespace

std::vector<LabeledBox> DetectShapes(Net* net, const cv::Mat& image, int image_index) {
  static const std::vector<Box> windows =
      SlidingWindows(kShapesImageSize, ShapesWindowSizes(), 4);
  Blob* rois = NetBlob(net, "rois");
  rois->Reshape(std::vector<int>{static_cast<int>(windows.size()), 5});
  for (size_t r = 0; r < windows.size(); ++r) {
    const float values[5] = {0.f, windows[r].x1, windows[r].y1, windows[r].x2, windows[r].y2};
    std::copy(values, values + 5, rois->mutable_cpu_data() + r * 5);
  }
  CopyImage(image, 0, NetBlob(net, "data"));
  net->Reshape();
  net->Forward();
  const Blob* prob = NetBlob(net, "cls_prob");
  const Blob* deltas = NetBlob(net, "bbox_pred");
  const int classes = prob->count(1);
  std::vector<LabeledBox> detections;
  for (int c = 1; c < classes; ++c) {
    std::vector<LabeledBox> candidates;
    for (size_t r = 0; r < windows.size(); ++r) {
      const float score = prob->cpu_data()[r * classes + c];
      if (score < 0.05f) continue;
      LabeledBox d;
      d.box = DecodeBox(windows[r], deltas->cpu_data() + r * deltas->count(1) + 4 * c,
                        kShapesImageSize);
      d.label = c;
      d.score = score;
      d.image = image_index;
      candidates.push_back(d);
    }
    for (int k : Nms(candidates, 0.3f)) detections.push_back(candidates[k]);
  }
  return detections;
}

ShapesDemoResult RunShapesDemo(const ShapesDemoOptions& options) {
  SolverParameter param = LoadSolverParameter(options.solver_file);
  // The zoo's solver names its net from the repository root; run from
  // elsewhere, the net next to the solver is the one meant.
  if (param.has_net() && !std::filesystem::exists(param.net())) {
    param.set_net((std::filesystem::path(options.solver_file).parent_path() /
                   std::filesystem::path(param.net()).filename())
                      .string());
  }
  if (options.iterations > 0) param.set_max_iter(options.iterations);
  param.set_random_seed(static_cast<int64_t>(options.seed));
  std::unique_ptr<Solver> solver = CreateSolver(param);
  Net* train = &solver->net();
  const std::vector<Box> windows = SlidingWindows(kShapesImageSize, ShapesWindowSizes(), 4);
  std::mt19937 rng(static_cast<uint32_t>(options.seed));
  ShapesDemoResult result;
  std::vector<float> losses;
  for (int it = 0; it < param.max_iter(); ++it) {
    FillTrainBatch(train, windows, &rng);
    solver->Step(1);
    float loss = 0;
    for (Blob* out : train->output_blobs()) loss += out->cpu_data()[0];
    losses.push_back(loss);
  }
  result.iterations = param.max_iter();
  result.first_loss = Mean(losses, 0, 20);
  result.last_loss = Mean(losses, losses.size() < 20 ? 0 : losses.size() - 20, losses.size());

  Net test(options.test_net_file, TEST);
  test.ShareTrainedLayersWith(*train);
  std::mt19937 test_rng(static_cast<uint32_t>(options.seed) + 1000003u);
  std::vector<LabeledBox> detections, objects;
  for (int i = 0; i < options.test_images; ++i) {
    ShapeImage shapes = RenderShapes(kShapesImageSize, &test_rng);
    for (LabeledBox& o : shapes.objects) o.image = i;
    objects.insert(objects.end(), shapes.objects.begin(), shapes.objects.end());
    const auto found = DetectShapes(&test, shapes.image, i);
    detections.insert(detections.end(), found.begin(), found.end());
  }
  result.average_precision.assign(kNumShapeClasses, 0.f);
  for (int c = 1; c < kNumShapeClasses; ++c) {
    result.average_precision[c] = AveragePrecision(detections, objects, c, 0.5f);
    result.mean_average_precision += result.average_precision[c] / (kNumShapeClasses - 1);
  }
  return result;
}

}  // namespace fast_rcnn
}  // namespace crema
