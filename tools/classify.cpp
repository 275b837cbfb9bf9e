// classify: top-k classes of images under a trained deploy net.
//   classify --model=deploy.prototxt --weights=w.caffemodel [flags] IMAGE...
#include <gflags/gflags.h>

#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "crema/classifier.hpp"
#include "crema/common.hpp"
#include "crema/tool.hpp"

DEFINE_string(model, "", "The deploy prototxt (one input).");
DEFINE_string(weights, "", "Comma-separated .caffemodel files with the trained weights.");
DEFINE_string(mean, "", "A mean image (.binaryproto from compute_image_mean).");
DEFINE_string(mean_value, "", "Mean per channel, e.g. 104,117,123 (BGR), or one value.");
DEFINE_string(labels, "", "Class names, one per line in label order (labels.txt).");
DEFINE_double(scale, 1.0, "Multiplies the input after mean subtraction "
                          "(0.00390625 for nets trained on pixels / 256).");
DEFINE_double(raw_scale, 255.0, "The range pixels are mapped to before mean subtraction.");
DEFINE_string(channel_swap, "", "Channel order to feed, e.g. 2,1,0 for RGB (default BGR).");
DEFINE_string(resize, "", "HEIGHT,WIDTH to resize to before center-cropping to the input "
                          "(e.g. 256,256); default: resize straight to the input size.");
DEFINE_string(output, "", "The blob with class scores (default: the net's last output).");
DEFINE_int32(batch, 1, "Images per forward pass.");
DEFINE_string(precision, "", "Arithmetic of DNNL convolutions and inner products: fp32, bf16 "
              "or int8 (default: the net's own, fp32). Falls back to fp32, and says so, "
              "where the CPU lacks the instructions.");
DEFINE_string(calibration, "", "int8: the calibration file (default: the one tools/calibrate "
              "wrote next to the weights).");
DEFINE_int32(top_k, 5, "How many classes to print per image.");

namespace {

const char kUsage[] =
    "Prints the top-k classes with their probabilities for each image.\n"
    "Usage:\n"
    "  classify --model=deploy.prototxt --weights=w.caffemodel\n"
    "           [--mean=mean.binaryproto | --mean_value=104,117,123]\n"
    "           [--labels=labels.txt] [--scale=S] [--raw_scale=R] [--channel_swap=2,1,0]\n"
    "           [--resize=256,256] [--batch=N] [--top_k=5] IMAGE...\n"
    "Images are read as grayscale or colour to match the input's channels and\n"
    "resized (then center-cropped with --resize) to its height and width.";

template <typename T>
std::vector<T> ParseNumbers(const std::string& text, const char* flag) {
  std::vector<T> values;
  for (const std::string& part : crema::SplitCommas(text)) {
    std::istringstream in(part);
    T value;
    if (!(in >> value) || !in.eof()) {
      crema::Throw("--", flag, "=", text, ": '", part, "' is not a number.");
    }
    values.push_back(value);
  }
  return values;
}

int Classify(int argc, char** argv) {
  if (FLAGS_model.empty() || FLAGS_weights.empty()) {
    crema::Throw("Give the net with --model=deploy.prototxt and its weights with "
                 "--weights=w.caffemodel (see --help).");
  }
  if (argc < 2) crema::Throw("Give at least one image to classify (see --help).");
  crema::ClassifierOptions options;
  options.model_file = FLAGS_model;
  options.weights_files = crema::SplitCommas(FLAGS_weights);
  options.mean_file = FLAGS_mean;
  options.mean_values = ParseNumbers<float>(FLAGS_mean_value, "mean_value");
  options.labels_file = FLAGS_labels;
  options.scale = static_cast<float>(FLAGS_scale);
  options.raw_scale = static_cast<float>(FLAGS_raw_scale);
  options.channel_swap = ParseNumbers<int>(FLAGS_channel_swap, "channel_swap");
  const std::vector<int> resize = ParseNumbers<int>(FLAGS_resize, "resize");
  if (!resize.empty()) {
    if (resize.size() != 2 || resize[0] <= 0 || resize[1] <= 0) {
      crema::Throw("--resize takes HEIGHT,WIDTH (two positive numbers).");
    }
    options.resize_height = resize[0];
    options.resize_width = resize[1];
  }
  options.output_blob = FLAGS_output;
  options.precision = FLAGS_precision;
  options.calibration_file = FLAGS_calibration;
  crema::Classifier classifier(options);

  const std::vector<std::string> paths(argv + 1, argv + argc);
  const auto results = classifier.ClassifyFiles(paths, FLAGS_top_k, FLAGS_batch);
  for (size_t i = 0; i < paths.size(); ++i) {
    std::printf("---------- Prediction for %s ----------\n", paths[i].c_str());
    for (const crema::Prediction& p : results[i]) {
      std::printf("%.4f - \"%s\"\n", p.score, p.name.c_str());
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return crema::RunTool(argc, argv, kUsage, Classify); }
