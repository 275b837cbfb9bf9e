// Line charts drawn with OpenCV, for tools/plot_training_log: each chart has
// a title, axis ticks and labels, and one polyline per series with a legend.
#ifndef CREMA_VIZ_LINE_CHART_HPP_
#define CREMA_VIZ_LINE_CHART_HPP_

#include <opencv2/core.hpp>

#include <string>
#include <utility>
#include <vector>

#include "crema/training_log.hpp"

namespace crema {

struct ChartSeries {
  std::string label;
  std::vector<std::pair<double, double>> points;  // (x, y); NaN y are skipped
  int color_index = 0;
  bool dashed = false;  // drawn thin with dots at the points
};

// The rectangle where a chart of this size draws its data (inside the axes).
cv::Rect ChartPlotArea(cv::Size size);

// A white BGR image of `size` with the chart drawn on it. A chart with no
// finite point says "no data" in its plot area.
cv::Mat DrawLineChart(const std::string& title, const std::string& x_label,
                      const std::vector<ChartSeries>& series, cv::Size size);

// One training log for PlotTrainingLogs: its label and parsed tables.
struct LabeledTrainingLog {
  std::string label;
  std::vector<TrainingLogRow> train;
  std::vector<TrainingLogRow> test;
};

// Four charts in a 2 x 2 grid: loss (train, and test when logged) and test
// accuracy, each against iteration and against seconds; the logs overlaid
// in different colours. Each panel is `panel` large.
cv::Mat PlotTrainingLogs(const std::vector<LabeledTrainingLog>& logs,
                         cv::Size panel = cv::Size(640, 400));

}  // namespace crema

#endif  // CREMA_VIZ_LINE_CHART_HPP_
