// Measures the input range of every convolution and inner product of a
// trained net over some data and writes the int8 calibration file that
// `--precision=int8` reads (next to the weights unless --output says).
#include <gflags/gflags.h>
#include <glog/logging.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "crema/calibration.hpp"
#include "crema/classifier.hpp"
#include "crema/common.hpp"
#include "crema/data/datum.hpp"
#include "crema/io/paths.hpp"
#include "crema/io/proto_io.hpp"
#include "crema/io/upgrade_proto.hpp"
#include "crema/net.hpp"
#include "crema/precision.hpp"
#include "crema/tool.hpp"

DEFINE_string(model, "", "The net prototxt: a TEST-phase net with Data layers, or a deploy "
              "net with one Input when --data is an image folder.");
DEFINE_string(weights, "", "Comma-separated .caffemodel files with the trained weights.");
DEFINE_string(data, "", "An LMDB (replaces the Data layers' source) or a folder of images "
              "(fed to the Input; searched recursively). Empty: the net's own data layers.");
DEFINE_int32(iterations, 10, "Forward passes per measuring round (batches).");
DEFINE_string(method, "mse", "mse (the range with the least squared rounding and clipping "
              "error), percentile (clips the rarest inputs) or maxabs (covers every input "
              "seen).");
DEFINE_double(percentile, 99.99, "percentile: the share of |inputs| the range covers.");
DEFINE_string(mean_value, "", "Image folders: mean per channel subtracted (e.g. 104,117,123).");
DEFINE_double(scale, 1.0, "Image folders: multiplies pixels after mean subtraction.");
DEFINE_bool(bias_correction, true, "Measure (in one more round of passes) the mean offset int8 "
            "rounding gives each output channel, for the bias to cancel.");
DEFINE_string(output, "", "The calibration file (default: next to the first weights file).");

namespace {

const char kUsage[] =
    "Writes an int8 calibration file for a trained net.\n"
    "Usage: calibrate --model=net.prototxt --weights=w.caffemodel [--data=LMDB|FOLDER]\n"
    "                 [--iterations=10] [--method=mse|percentile|maxabs]\n"
    "                 [--bias_correction=true] [--output=FILE]";

bool IsImage(const std::filesystem::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png" || ext == ".bmp" || ext == ".ppm" ||
         ext == ".pgm";
}

std::vector<std::string> ListImages(const std::string& folder) {
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(folder)) {
    if (entry.is_regular_file() && IsImage(entry.path())) files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) crema::Throw("The folder '", folder, "' holds no images.");
  return files;
}

// Fills the net's one input with the next batch of images from `files`.
void FeedImages(const std::vector<std::string>& files, int pass, crema::Net* net) {
  if (net->num_inputs() != 1) {
    crema::Throw("An image folder needs a net with one Input; '", FLAGS_model, "' has ",
                 net->num_inputs(), ".");
  }
  crema::Blob* input = net->input_blobs()[0];
  const int n = input->shape(0), c = input->shape(1), h = input->shape(2), w = input->shape(3);
  std::vector<float> mean;
  for (const std::string& v : crema::SplitCommas(FLAGS_mean_value)) mean.push_back(std::stof(v));
  float* data = input->mutable_cpu_data();
  for (int i = 0; i < n; ++i) {
    const std::string& file = files[(static_cast<size_t>(pass) * n + i) % files.size()];
    const cv::Mat image = crema::ReadImageToCVMat(file, h, w, c == 3);
    if (image.empty()) crema::Throw("'", file, "' is not a readable image.");
    for (int ch = 0; ch < c; ++ch) {
      const float m = mean.empty() ? 0.f : mean[std::min<size_t>(ch, mean.size() - 1)];
      for (int y = 0; y < h; ++y) {
        for (int x = 0; x < w; ++x) {
          const uchar* px = image.ptr<uchar>(y) + x * c;
          data[((i * c + ch) * h + y) * w + x] = (px[ch] - m) * static_cast<float>(FLAGS_scale);
        }
      }
    }
  }
}

int Calibrate(int argc, char** argv) {
  crema::ExpectArgs(argc, 0, 0);
  if (FLAGS_model.empty() || FLAGS_weights.empty()) {
    crema::Throw("Give the net with --model=FILE and its weights with --weights=FILE.");
  }
  crema::NetParameter param;
  crema::ReadNetParamsFromTextFile(FLAGS_model, &param);
  param.mutable_state()->set_phase(crema::TEST);
  param.set_precision(crema::FP32);
  const bool folder = !FLAGS_data.empty() && crema::IsDirectory(FLAGS_data) &&
                      !crema::FileExists(FLAGS_data + "/data.mdb");
  if (!FLAGS_data.empty() && !folder) {
    if (!crema::FileExists(FLAGS_data + "/data.mdb")) {
      crema::Throw("--data '", FLAGS_data, "' is neither an LMDB nor a folder of images.");
    }
    for (crema::LayerParameter& layer : *param.mutable_layer()) {
      if (layer.type() != "Data") continue;
      layer.mutable_data_param()->set_source(FLAGS_data);
      layer.mutable_data_param()->set_backend(crema::DataParameter::LMDB);
    }
  }
  crema::Net net(param);
  for (const std::string& file : crema::SplitCommas(FLAGS_weights)) {
    crema::CopyWeightsChecked(&net, file);
  }
  std::vector<std::string> images;
  if (folder) images = ListImages(FLAGS_data);
  crema::CalibrationOptions options;
  options.method = FLAGS_method;
  options.percentile = FLAGS_percentile;
  options.iterations = FLAGS_iterations;
  options.bias_correction = FLAGS_bias_correction;
  auto feed = [&](int pass) { FeedImages(images, pass, &net); };
  const crema::CalibrationParameter result =
      folder ? crema::Calibrate(&net, options, feed) : crema::Calibrate(&net, options);
  const std::string output = FLAGS_output.empty()
                                 ? crema::CalibrationFileFor(crema::SplitCommas(FLAGS_weights)[0])
                                 : FLAGS_output;
  crema::WriteProtoToTextFile(result, output);
  for (const crema::LayerCalibration& c : result.layer()) {
    LOG(INFO) << c.name() << ": |input| <= " << c.input_max() << (c.input_signed() ? " (s8)" : " (u8)");
  }
  LOG(INFO) << "Wrote " << output << " (" << result.layer_size() << " layers, "
            << result.images() << " inputs, " << result.method() << ").";
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return crema::RunTool(argc, argv, kUsage, Calibrate); }
