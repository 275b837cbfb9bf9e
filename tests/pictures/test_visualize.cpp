// Pictures checked for content: the training-log plot draws in its plot
// areas, the filter and activation grids have one tile per filter/channel,
// and the occlusion map is hottest over the object.
#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <filesystem>
#include <fstream>

#include "crema/classifier.hpp"
#include "crema/io/proto_io.hpp"
#include "crema/net.hpp"
#include "crema/training_log.hpp"
#include "crema/viz/line_chart.hpp"
#include "crema/viz/visualize.hpp"
#include "solver/solver_test_util.hpp"
#include "support/test_util.hpp"

namespace crema {
namespace {

// Pixels inside `area` (its border excluded) that are neither white nor the
// light grey of the grid lines.
int InkPixels(const cv::Mat& image, cv::Rect area) {
  area = cv::Rect(area.x + 1, area.y + 1, area.width - 2, area.height - 2);
  int ink = 0;
  for (int y = area.y; y < area.y + area.height; ++y) {
    for (int x = area.x; x < area.x + area.width; ++x) {
      const cv::Vec3b p = image.at<cv::Vec3b>(y, x);
      if (p[0] < 200 || p[1] < 200 || p[2] < 200) ++ink;
    }
  }
  return ink;
}

void SavePicture(const cv::Mat& image, const std::string& name) {
  const std::string dir = CREMA_BINARY_DIR "/pictures";
  std::filesystem::create_directories(dir);
  cv::imwrite(dir + "/" + name, image);
}

TEST(PlotTrainingLogTest, EveryPanelDrawsItsCurves) {
  TrainingLogParser parser;
  parser.AddFile(CREMA_SOURCE_DIR "/tests/pictures/lenet_sample.log");
  LabeledTrainingLog log{"sample", parser.train_rows(), parser.test_rows()};
  const cv::Size panel(400, 300);
  const cv::Mat plot = PlotTrainingLogs({log, log}, panel);
  ASSERT_EQ(plot.size(), cv::Size(800, 600));
  SavePicture(plot, "plot_training_log_unit.png");
  const cv::Rect area = ChartPlotArea(panel);
  // An empty log leaves the plot areas without curves: only "no data".
  const cv::Mat empty = PlotTrainingLogs({LabeledTrainingLog{"empty", {}, {}}}, panel);
  const int no_data = InkPixels(empty, area);
  for (int row = 0; row < 2; ++row) {
    for (int col = 0; col < 2; ++col) {
      const cv::Rect where = area + cv::Point(col * panel.width, row * panel.height);
      EXPECT_GT(InkPixels(plot, where), 2 * no_data + 300)
          << "panel " << row << ", " << col << " is blank";
    }
  }
}

// A deploy net whose class 0 score is the input's brightness: a trained net
// in miniature whose answer we know.
std::string BrightnessNet(const std::string& dir) {
  const std::string model = dir + "/bright.prototxt";
  std::ofstream(model) <<
      "name: 'bright' layer { name: 'data' type: 'Input' top: 'data' "
      "input_param { shape { dim: 1 dim: 1 dim: 32 dim: 32 } } } "
      "layer { name: 'conv1' type: 'Convolution' bottom: 'data' top: 'conv1' "
      "convolution_param { num_output: 4 kernel_size: 3 pad: 1 "
      "weight_filler { type: 'gaussian' std: 0.1 } } } "
      "layer { name: 'score' type: 'InnerProduct' bottom: 'data' top: 'score' "
      "inner_product_param { num_output: 2 } } "
      "layer { name: 'prob' type: 'Softmax' bottom: 'score' top: 'prob' }";
  Net net(model, TEST);
  Blob& weights = *net.layer_by_name("score")->blobs()[0];
  float* w = weights.mutable_cpu_data();
  for (int i = 0; i < 32 * 32; ++i) {
    w[i] = 1e-4f;       // class 0 grows with every bright pixel
    w[1024 + i] = 0.f;  // class 1 does not
  }
  NetParameter trained;
  net.ToProto(&trained);
  WriteProtoToBinaryFile(trained, dir + "/bright.caffemodel");
  return model;
}

TEST(VisualizeTest, OcclusionIsHottestOverTheObject) {
  testing::TempDir dir;
  ClassifierOptions options;
  options.model_file = BrightnessNet(dir.path());
  options.weights_files = {dir / "bright.caffemodel"};
  Classifier classifier(options);
  // A dark image with a white square in its lower right.
  cv::Mat image(32, 32, CV_8UC1, cv::Scalar(0));
  cv::rectangle(image, cv::Rect(20, 18, 8, 8), cv::Scalar(255), cv::FILLED);
  OcclusionOptions occlusion;
  occlusion.patch = 8;
  occlusion.stride = 4;
  const OcclusionMap map = ComputeOcclusion(&classifier, image, occlusion);
  EXPECT_EQ(map.label, 0);
  ASSERT_EQ(map.drop.size(), cv::Size(7, 7));
  cv::Point hottest;
  cv::minMaxLoc(map.drop, nullptr, nullptr, nullptr, &hottest);
  const cv::Rect patch(hottest.x * 4, hottest.y * 4, 8, 8);
  EXPECT_EQ((patch & cv::Rect(20, 18, 8, 8)).area(), 48) << "hottest patch at " << patch;
  const cv::Mat picture = RenderOcclusion(map, 256);
  EXPECT_EQ(picture.size(), cv::Size(256, 256));
  SavePicture(picture, "occlusion_unit.png");
}

TEST(VisualizeTest, GridsHaveOneTilePerFilterAndChannel) {
  testing::TempDir dir;
  ClassifierOptions options;
  options.model_file = BrightnessNet(dir.path());
  options.weights_files = {dir / "bright.caffemodel"};
  options.output_blob = "conv1";
  Classifier classifier(options);
  EXPECT_EQ(FirstFilterLayer(classifier.net()), "conv1");
  const auto filters = FilterTiles(*classifier.net().layer_by_name("conv1")->blobs()[0]);
  ASSERT_EQ(filters.size(), 4u);
  EXPECT_EQ(filters[0].size(), cv::Size(3, 3));
  const cv::Mat grid = TileGrid(filters, 2, 10, 2);
  EXPECT_EQ(grid.size(), cv::Size(2 * 12 + 2, 2 * 12 + 2));
  // Normalized on their own: each filter spans black to white.
  double lo, hi;
  cv::minMaxLoc(filters[1], &lo, &hi);
  EXPECT_EQ(lo, 0);
  EXPECT_EQ(hi, 255);

  cv::Mat image(32, 32, CV_8UC1, cv::Scalar(0));
  cv::circle(image, {16, 16}, 8, cv::Scalar(255), cv::FILLED);
  classifier.Classify({image}, 1);
  const auto channels = ActivationTiles(*classifier.net().blob_by_name("conv1"), 0);
  ASSERT_EQ(channels.size(), 4u);
  EXPECT_EQ(channels[0].size(), cv::Size(32, 32));
  EXPECT_THROW(FilterTiles(*classifier.net().layer_by_name("score")->blobs()[1]), Error);
}

}  // namespace
}  // namespace crema
