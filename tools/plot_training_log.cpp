// plot_training_log: loss and accuracy curves of one or more training logs
// as one PNG.
#include <opencv2/imgcodecs.hpp>

#include <iostream>
#include <string>
#include <vector>

#include <gflags/gflags.h>

#include "crema/tool.hpp"
#include "crema/training_log.hpp"
#include "crema/viz/line_chart.hpp"

DEFINE_string(out, "curves.png", "The PNG to write.");
DEFINE_int32(width, 640, "Width of each of the four charts, in pixels.");
DEFINE_int32(height, 400, "Height of each of the four charts, in pixels.");

namespace {

const char kUsage[] =
    "plot_training_log: plots train/test loss and test accuracy of training logs.\n"
    "\n"
    "Usage:\n"
    "  plot_training_log LOG [LOG...] --out=curves.png [--width=640 --height=400]\n"
    "\n"
    "Four charts: loss and test accuracy, against iteration (top) and against\n"
    "seconds since the 'Solving' line (bottom). Several logs are overlaid in\n"
    "different colours, labelled with their file names.\n";

int Plot(int argc, char** argv) {
  crema::ExpectArgs(argc, 1, 1000);
  if (FLAGS_width < 200 || FLAGS_height < 150) {
    throw crema::UsageError("--width must be at least 200 and --height at least 150.");
  }
  std::vector<crema::LabeledTrainingLog> logs;
  for (int i = 1; i < argc; ++i) {
    crema::TrainingLogParser parser;
    parser.AddFile(argv[i]);
    const std::string path = argv[i];
    logs.push_back({path.substr(path.find_last_of('/') + 1), parser.train_rows(),
                    parser.test_rows()});
    if (logs.back().train.empty() && logs.back().test.empty()) {
      std::cerr << "plot_training_log: warning: " << path
                << " has no 'Train net output' or 'Test net output' lines after 'Solving'.\n";
    }
  }
  const cv::Mat image =
      crema::PlotTrainingLogs(logs, cv::Size(FLAGS_width, FLAGS_height));
  if (!cv::imwrite(FLAGS_out, image)) crema::Throw("Cannot write the PNG '", FLAGS_out, "'.");
  std::cout << "Wrote " << FLAGS_out << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return crema::RunTool(argc, argv, kUsage, Plot); }
