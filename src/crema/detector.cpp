#include "crema/detector.hpp"

#include <algorithm>
#include <cstdio>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace crema {


Detector::Detector(const DetectorOptions& options) : options_(options) {
  ClassifierOptions c;
  c.model_file = options.model_file;
  c.weights_files = options.weights_files;
  c.mean_values = options.mean_values;
  c.scale = options.scale;
  c.output_blob = options.output_blob;
  classifier_ = std::make_unique<Classifier>(c);
  Net& net = classifier_->net();
  output_ = options.output_blob.empty()
                ? net.blob_names()[net.output_blob_indices().back()]
                : options.output_blob;
  if (net.blob_by_name(output_)->shape(-1) != 7) {
    Throw("The output '", output_, "' of '", options.model_file, "' is ",
          net.blob_by_name(output_)->shape_string(),
          "; a detection net ends in DetectionOutput (rows of 7 values).");
  }
  if (!options.labels_file.empty()) labels_ = ReadLabelsFile(options.labels_file);
}

std::vector<Detection> Detector::Detect(const cv::Mat& image) {
  Net& net = classifier_->net();
  Blob* input = net.input_blobs()[0];
  classifier_->Preprocess(image, input->mutable_cpu_data());
  net.Forward();
  Blob& out = *net.blob_by_name(output_);
  out.ToPlain();
  std::vector<Detection> detections;
  const float* row = out.cpu_data();
  for (int r = 0; r < out.count() / 7; ++r, row += 7) {
    if (row[1] < 0 || row[2] < options_.threshold) continue;  // -1: nothing found
    Detection d;
    d.label = static_cast<int>(row[1]);
    d.name = d.label < static_cast<int>(labels_.size()) ? labels_[d.label]
                                                        : std::to_string(d.label);
    d.score = row[2];
    d.xmin = std::clamp(row[3], 0.f, 1.f) * image.cols;
    d.ymin = std::clamp(row[4], 0.f, 1.f) * image.rows;
    d.xmax = std::clamp(row[5], 0.f, 1.f) * image.cols;
    d.ymax = std::clamp(row[6], 0.f, 1.f) * image.rows;
    detections.push_back(d);
  }
  return detections;
}

std::vector<Detection> Detector::DetectFile(const std::string& path) {
  const cv::Mat image = classifier_->ReadImage(path);
  if (image.empty()) Throw("Cannot read the image '", path, "'.");
  return Detect(image);
}

void DrawDetections(const std::vector<Detection>& detections, cv::Mat* image) {
  const cv::Scalar colour(0, 0, 255);
  for (const Detection& d : detections) {
    cv::rectangle(*image, cv::Point(static_cast<int>(d.xmin), static_cast<int>(d.ymin)),
                  cv::Point(static_cast<int>(d.xmax), static_cast<int>(d.ymax)), colour, 2);
    char text[64];
    std::snprintf(text, sizeof(text), "%s %.2f", d.name.c_str(), d.score);
    cv::putText(*image, text,
                cv::Point(static_cast<int>(d.xmin) + 2, std::max(static_cast<int>(d.ymin) - 4, 10)),
                cv::FONT_HERSHEY_SIMPLEX, 0.4, colour, 1);
  }
}

}  // namespace crema
