#include "crema/viz/visualize.hpp"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>

#include "crema/common.hpp"
#include "crema/net.hpp"

namespace crema {
namespace {

// Values scaled to [0, 255] (a constant plane becomes mid-grey).
cv::Mat Normalized(const cv::Mat& values) {
  double lo = 0, hi = 0;
  cv::minMaxLoc(values.reshape(1), &lo, &hi);
  cv::Mat out;
  if (hi > lo) {
    values.convertTo(out, CV_8U, 255.0 / (hi - lo), -lo * 255.0 / (hi - lo));
  } else {
    out = cv::Mat(values.size(), CV_8UC(values.channels()), cv::Scalar::all(128));
  }
  return out;
}

cv::Mat Plane(const float* data, int height, int width) {
  return cv::Mat(height, width, CV_32F, const_cast<float*>(data)).clone();
}

}  // namespace

cv::Mat TileGrid(const std::vector<cv::Mat>& tiles, int columns, int cell, int gap) {
  if (tiles.empty()) Throw("There is nothing to tile: no filters or channels.");
  columns = std::max(1, std::min(columns, static_cast<int>(tiles.size())));
  const int rows = (static_cast<int>(tiles.size()) + columns - 1) / columns;
  cv::Mat grid(rows * (cell + gap) + gap, columns * (cell + gap) + gap, CV_8UC3,
               cv::Scalar(255, 255, 255));
  for (size_t i = 0; i < tiles.size(); ++i) {
    cv::Mat bgr;
    if (tiles[i].channels() == 1) {
      cv::cvtColor(tiles[i], bgr, cv::COLOR_GRAY2BGR);
    } else {
      bgr = tiles[i];
    }
    cv::Mat scaled;
    cv::resize(bgr, scaled, cv::Size(cell, cell), 0, 0, cv::INTER_NEAREST);
    const int r = static_cast<int>(i) / columns, c = static_cast<int>(i) % columns;
    scaled.copyTo(grid(cv::Rect(gap + c * (cell + gap), gap + r * (cell + gap), cell, cell)));
  }
  return grid;
}

std::vector<cv::Mat> FilterTiles(const Blob& weights) {
  if (weights.num_axes() != 4) {
    Throw("Filters are drawn from 4-D weights (N x C x kh x kw); this blob is ",
          weights.shape_string(), ".");
  }
  const int n = weights.shape(0), channels = weights.shape(1);
  const int kh = weights.shape(2), kw = weights.shape(3);
  std::vector<cv::Mat> tiles;
  for (int i = 0; i < n; ++i) {
    const float* filter = weights.cpu_data() + weights.offset(i);
    if (channels == 3) {
      std::vector<cv::Mat> planes;
      for (int c = 0; c < 3; ++c) planes.push_back(Plane(filter + c * kh * kw, kh, kw));
      cv::Mat bgr;
      cv::merge(planes, bgr);
      tiles.push_back(Normalized(bgr));
    } else {
      tiles.push_back(Normalized(Plane(filter, kh, kw)));
    }
  }
  return tiles;
}

std::vector<cv::Mat> ActivationTiles(const Blob& blob, int item) {
  if (blob.num_axes() < 2 || item < 0 || item >= blob.shape(0)) {
    Throw("Cannot show item ", item, " of a blob of shape ", blob.shape_string(), ".");
  }
  const int channels = blob.shape(1);
  const int height = blob.num_axes() > 2 ? blob.shape(2) : 1;
  const int width = blob.num_axes() > 3 ? blob.shape(3) : 1;
  const float* data = blob.cpu_data() + static_cast<size_t>(item) * blob.count(1);
  std::vector<cv::Mat> tiles;
  if (height == 1 && width == 1) {
    // A vector (e.g. a fully connected layer): one tile per value, all on
    // one scale, so their sizes compare.
    cv::Mat row = Normalized(Plane(data, 1, channels));
    for (int c = 0; c < channels; ++c) tiles.push_back(row.col(c).clone());
    return tiles;
  }
  for (int c = 0; c < channels; ++c) {
    tiles.push_back(Normalized(Plane(data + c * height * width, height, width)));
  }
  return tiles;
}

std::string FirstFilterLayer(const Net& net) {
  for (int i = 0; i < net.num_layers(); ++i) {
    const auto& blobs = net.layers()[i]->blobs();
    if (!blobs.empty() && blobs[0]->num_axes() == 4) return net.layer_names()[i];
  }
  Throw("The net '", net.name(), "' has no layer with 4-D weights (no convolution) to draw.");
}

OcclusionMap ComputeOcclusion(Classifier* classifier, const cv::Mat& image,
                              const OcclusionOptions& options) {
  OcclusionMap map;
  const int height = classifier->height(), width = classifier->width();
  cv::resize(image, map.image, cv::Size(width, height), 0, 0, cv::INTER_AREA);
  map.patch = options.patch > 0 ? options.patch : std::max(1, std::min(height, width) / 4);
  map.stride = options.stride > 0 ? options.stride : std::max(1, map.patch / 2);
  const int top_k = classifier->num_classes();
  const auto base = classifier->Classify({map.image}, top_k)[0];
  map.label = options.label >= 0 ? options.label : base[0].label;
  if (map.label >= top_k) {
    Throw("Class ", map.label, " is out of range: the net has ", top_k, " classes.");
  }
  auto score_of = [&](const std::vector<Prediction>& predictions) {
    for (const Prediction& p : predictions) {
      if (p.label == map.label) return p.score;
    }
    return 0.f;
  };
  map.base_score = score_of(base);
  const int rows = std::max(1, (height - map.patch) / map.stride + 1);
  const int cols = std::max(1, (width - map.patch) / map.stride + 1);
  std::vector<cv::Mat> occluded;
  for (int r = 0; r < rows; ++r) {
    for (int c = 0; c < cols; ++c) {
      cv::Mat copy = map.image.clone();
      cv::rectangle(copy, cv::Rect(c * map.stride, r * map.stride, map.patch, map.patch),
                    cv::Scalar::all(options.gray), cv::FILLED);
      occluded.push_back(copy);
    }
  }
  const auto scores = classifier->Classify(occluded, top_k, std::max(1, options.batch));
  map.drop = cv::Mat(rows, cols, CV_32F);
  for (int i = 0; i < rows * cols; ++i) {
    map.drop.at<float>(i / cols, i % cols) = map.base_score - score_of(scores[i]);
  }
  return map;
}

cv::Mat RenderOcclusion(const OcclusionMap& map, int size) {
  const double zoom = static_cast<double>(size) / std::max(map.image.rows, map.image.cols);
  const cv::Size out_size(std::lround(map.image.cols * zoom), std::lround(map.image.rows * zoom));
  cv::Mat image;
  if (map.image.channels() == 1) {
    cv::cvtColor(map.image, image, cv::COLOR_GRAY2BGR);
  } else {
    image = map.image;
  }
  cv::resize(image, image, out_size, 0, 0, cv::INTER_NEAREST);
  // Each cell's drop is spread over the patch it covered (overlaps averaged).
  cv::Mat sum = cv::Mat::zeros(map.image.size(), CV_32F), count = sum.clone();
  for (int r = 0; r < map.drop.rows; ++r) {
    for (int c = 0; c < map.drop.cols; ++c) {
      const cv::Rect cell = cv::Rect(c * map.stride, r * map.stride, map.patch, map.patch) &
                            cv::Rect(0, 0, map.image.cols, map.image.rows);
      sum(cell) += map.drop.at<float>(r, c);
      count(cell) += 1.0f;
    }
  }
  cv::Mat heat = sum / cv::max(count, 1.0f);
  cv::resize(Normalized(heat), heat, out_size, 0, 0, cv::INTER_LINEAR);
  cv::applyColorMap(heat, heat, cv::COLORMAP_JET);
  cv::Mat out;
  cv::addWeighted(image, 0.5, heat, 0.5, 0, out);
  return out;
}

}  // namespace crema
