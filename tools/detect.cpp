// detect: boxes found by a detection net (SSD, MobileNet-SSD) in images.
//   detect --model=deploy.prototxt --weights=w.caffemodel [flags] IMAGE...
#include <gflags/gflags.h>

#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include <opencv2/imgcodecs.hpp>

#include "crema/common.hpp"
#include "crema/detector.hpp"
#include "crema/tool.hpp"

DEFINE_string(model, "", "The deploy prototxt, ending in a DetectionOutput layer.");
DEFINE_string(weights, "", "Comma-separated .caffemodel files with the trained weights.");
DEFINE_string(mean_value, "", "Mean per channel, e.g. 127.5,127.5,127.5, or one value.");
DEFINE_double(scale, 1.0, "Multiplies the input after mean subtraction "
                          "(0.007843 for MobileNet-SSD).");
DEFINE_string(labels, "", "Class names, one per line in label order (line 0: background).");
DEFINE_double(threshold, 0.5, "Detections scoring below are not shown.");
DEFINE_string(output_png, "", "Draw the boxes on the (last) image and write it here.");

namespace {

const char kUsage[] =
    "Prints the detections in each image, one per line:\n"
    "  image label name score xmin ymin xmax ymax   (pixels)\n"
    "and with --output_png draws them on the image.\n"
    "Usage:\n"
    "  detect --model=deploy.prototxt --weights=w.caffemodel [--mean_value=127.5]\n"
    "         [--scale=0.007843] [--labels=labels.txt] [--threshold=0.5]\n"
    "         [--output_png=boxes.png] IMAGE...";

std::vector<float> ParseFloats(const std::string& text) {
  std::vector<float> values;
  for (const std::string& part : crema::SplitCommas(text)) {
    std::istringstream in(part);
    float value;
    if (!(in >> value) || !in.eof()) {
      crema::Throw("--mean_value=", text, ": '", part, "' is not a number.");
    }
    values.push_back(value);
  }
  return values;
}

int Detect(int argc, char** argv) {
  if (FLAGS_model.empty() || FLAGS_weights.empty()) {
    throw crema::UsageError("Give the net with --model and its weights with --weights.");
  }
  crema::ExpectArgs(argc, 1, 1 << 20);
  crema::DetectorOptions options;
  options.model_file = FLAGS_model;
  options.weights_files = crema::SplitCommas(FLAGS_weights);
  options.mean_values = ParseFloats(FLAGS_mean_value);
  options.scale = static_cast<float>(FLAGS_scale);
  options.labels_file = FLAGS_labels;
  options.threshold = static_cast<float>(FLAGS_threshold);
  crema::Detector detector(options);
  for (int i = 1; i < argc; ++i) {
    const std::string path = argv[i];
    cv::Mat image = cv::imread(path, cv::IMREAD_COLOR);
    if (image.empty()) crema::Throw("Cannot read the image '", path, "'.");
    const std::vector<crema::Detection> found = detector.Detect(image);
    for (const crema::Detection& d : found) {
      std::printf("%s %d %s %.4f %.1f %.1f %.1f %.1f\n", path.c_str(), d.label, d.name.c_str(),
                  d.score, d.xmin, d.ymin, d.xmax, d.ymax);
    }
    std::printf("%s: %zu detection(s)\n", path.c_str(), found.size());
    if (!FLAGS_output_png.empty() && i == argc - 1) {
      crema::DrawDetections(found, &image);
      if (!cv::imwrite(FLAGS_output_png, image)) {
        crema::Throw("Cannot write '", FLAGS_output_png, "'.");
      }
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return crema::RunTool(argc, argv, kUsage, Detect); }
