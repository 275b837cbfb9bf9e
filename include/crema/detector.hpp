// Detector: runs an SSD-style deploy net (one whose output is
// DetectionOutput's 1 x 1 x D x 7) on images and returns the boxes in the
// image's pixels. Images are prepared as Classifier prepares them (resized
// to the input, (pixel - mean) * scale, BGR); MobileNet-SSD wants
// mean 127.5 and scale 0.007843.
#ifndef CREMA_DETECTOR_HPP_
#define CREMA_DETECTOR_HPP_

#include <opencv2/core.hpp>

#include <memory>
#include <string>
#include <vector>

#include "crema/classifier.hpp"

namespace crema {

struct DetectorOptions {
  std::string model_file;
  std::vector<std::string> weights_files;
  std::vector<float> mean_values;  // one, or one per channel
  float scale = 1.f;
  std::string labels_file;         // optional: line i names label i
  std::string output_blob;         // empty: the net's last output
  float threshold = 0.f;           // detections scoring below are dropped
};

struct Detection {
  int label = 0;
  std::string name;  // the labels file's line, else the label number
  float score = 0;
  float xmin = 0, ymin = 0, xmax = 0, ymax = 0;  // pixels, clipped to the image
};

class Detector {
 public:
  // Throws crema::Error for missing files, weights of another net, or an
  // output that is not ... x 7.
  explicit Detector(const DetectorOptions& options);
  std::vector<Detection> Detect(const cv::Mat& image);
  // Reads the image file first (an unreadable file is an error).
  std::vector<Detection> DetectFile(const std::string& path);
  Net& net() { return classifier_->net(); }

 private:
  DetectorOptions options_;
  std::unique_ptr<Classifier> classifier_;
  std::string output_;
  std::vector<std::string> labels_;
};

// Draws each detection as a rectangle with its name and score.
void DrawDetections(const std::vector<Detection>& detections, cv::Mat* image);

}  // namespace crema

#endif  // CREMA_DETECTOR_HPP_
