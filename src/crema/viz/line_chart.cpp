#include "crema/viz/line_chart.hpp"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace crema {
namespace {

const int kLeft = 70, kRight = 16, kTop = 34, kBottom = 46;

cv::Scalar Color(int index) {
  static const cv::Scalar kColors[] = {
      {180, 119, 31}, {40, 39, 214}, {44, 160, 44}, {14, 127, 255}, {189, 103, 148},
      {75, 86, 140}};
  return kColors[index % 6];
}

std::string Tick(double value) {
  char text[32];
  const double a = std::fabs(value);
  if (a != 0 && (a < 1e-3 || a >= 1e5)) {
    std::snprintf(text, sizeof(text), "%.2e", value);
  } else {
    std::snprintf(text, sizeof(text), "%.4g", value);
  }
  return text;
}

struct Range {
  double lo = std::numeric_limits<double>::infinity();
  double hi = -std::numeric_limits<double>::infinity();
  void Add(double v) {
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  bool Empty() const { return !(lo <= hi); }
  void Pad() {
    if (hi == lo) {
      const double d = std::fabs(lo) * 0.1 + 1e-6;
      lo -= d;
      hi += d;
    }
  }
};

void DrawAxes(cv::Mat* image, const cv::Rect& area, const Range& x, const Range& y) {
  const cv::Scalar grid(235, 235, 235), text(60, 60, 60);
  for (int i = 0; i <= 4; ++i) {
    const int py = area.y + area.height - area.height * i / 4;
    const int px = area.x + area.width * i / 4;
    cv::line(*image, {area.x, py}, {area.x + area.width, py}, grid, 1);
    cv::putText(*image, Tick(y.lo + (y.hi - y.lo) * i / 4), {4, py + 4},
                cv::FONT_HERSHEY_SIMPLEX, 0.38, text, 1, cv::LINE_AA);
    cv::putText(*image, Tick(x.lo + (x.hi - x.lo) * i / 4), {px - 14, area.y + area.height + 16},
                cv::FONT_HERSHEY_SIMPLEX, 0.38, text, 1, cv::LINE_AA);
  }
}

void DrawSeries(cv::Mat* image, const cv::Rect& area, const Range& x, const Range& y,
                const ChartSeries& series) {
  std::vector<cv::Point> points;
  for (const auto& p : series.points) {
    if (!std::isfinite(p.first) || !std::isfinite(p.second)) continue;
    const double fx = (p.first - x.lo) / (x.hi - x.lo);
    const double fy = (p.second - y.lo) / (y.hi - y.lo);
    points.emplace_back(area.x + static_cast<int>(std::lround(fx * (area.width - 1))),
                        area.y + area.height - 1 -
                            static_cast<int>(std::lround(fy * (area.height - 1))));
  }
  const cv::Scalar color = Color(series.color_index);
  if (points.size() > 1) {
    cv::polylines(*image, points, false, color, series.dashed ? 1 : 2, cv::LINE_AA);
  }
  if (series.dashed || points.size() == 1) {
    for (const cv::Point& p : points) cv::circle(*image, p, 3, color, cv::FILLED, cv::LINE_AA);
  }
}

}  // namespace

cv::Rect ChartPlotArea(cv::Size size) {
  return cv::Rect(kLeft, kTop, size.width - kLeft - kRight, size.height - kTop - kBottom);
}

cv::Mat DrawLineChart(const std::string& title, const std::string& x_label,
                      const std::vector<ChartSeries>& series, cv::Size size) {
  cv::Mat image(size, CV_8UC3, cv::Scalar(255, 255, 255));
  const cv::Rect area = ChartPlotArea(size);
  cv::putText(image, title, {kLeft, 22}, cv::FONT_HERSHEY_SIMPLEX, 0.6, {30, 30, 30}, 1,
              cv::LINE_AA);
  cv::putText(image, x_label, {area.x + area.width / 2 - 30, size.height - 8},
              cv::FONT_HERSHEY_SIMPLEX, 0.45, {60, 60, 60}, 1, cv::LINE_AA);
  Range x, y;
  for (const ChartSeries& s : series) {
    for (const auto& p : s.points) {
      if (!std::isfinite(p.first) || !std::isfinite(p.second)) continue;
      x.Add(p.first);
      y.Add(p.second);
    }
  }
  if (x.Empty()) {
    cv::putText(image, "no data", {area.x + 10, area.y + 24}, cv::FONT_HERSHEY_SIMPLEX, 0.5,
                {120, 120, 120}, 1, cv::LINE_AA);
  } else {
    x.Pad();
    y.Pad();
    DrawAxes(&image, area, x, y);
    for (const ChartSeries& s : series) DrawSeries(&image, area, x, y, s);
    int row = 0;
    for (const ChartSeries& s : series) {
      if (s.points.empty()) continue;
      const cv::Point at(area.x + area.width - 190, area.y + 16 + 16 * row++);
      cv::line(image, at + cv::Point(0, -4), at + cv::Point(18, -4), Color(s.color_index),
               s.dashed ? 1 : 2);
      cv::putText(image, s.label, at + cv::Point(24, 0), cv::FONT_HERSHEY_SIMPLEX, 0.4,
                  {40, 40, 40}, 1, cv::LINE_AA);
    }
  }
  cv::rectangle(image, area, cv::Scalar(150, 150, 150), 1);
  return image;
}

namespace {

// (x, output) pairs of rows that have the output; x is iteration or seconds.
std::vector<std::pair<double, double>> Points(const std::vector<TrainingLogRow>& rows,
                                              const std::string& name, bool seconds) {
  std::vector<std::pair<double, double>> points;
  for (const TrainingLogRow& row : rows) {
    const double value = row.Output(name);
    if (!std::isnan(value)) points.emplace_back(seconds ? row.seconds : row.iteration, value);
  }
  return points;
}

cv::Mat Panel(const std::vector<LabeledTrainingLog>& logs, bool accuracy, bool seconds,
              cv::Size size) {
  std::vector<ChartSeries> series;
  for (size_t i = 0; i < logs.size(); ++i) {
    const LabeledTrainingLog& log = logs[i];
    const std::string prefix = logs.size() > 1 ? log.label + ": " : "";
    if (!accuracy) {
      series.push_back({prefix + "train loss", Points(log.train, "loss", seconds),
                        static_cast<int>(i), false});
    }
    ChartSeries test{prefix + (accuracy ? "test accuracy" : "test loss"),
                     Points(log.test, accuracy ? "accuracy" : "loss", seconds),
                     static_cast<int>(i), !accuracy};
    if (!test.points.empty()) series.push_back(test);
  }
  return DrawLineChart(accuracy ? "Test accuracy" : "Loss", seconds ? "seconds" : "iteration",
                       series, size);
}

}  // namespace

cv::Mat PlotTrainingLogs(const std::vector<LabeledTrainingLog>& logs, cv::Size panel) {
  cv::Mat out(panel.height * 2, panel.width * 2, CV_8UC3, cv::Scalar(255, 255, 255));
  for (int row = 0; row < 2; ++row) {
    for (int col = 0; col < 2; ++col) {
      Panel(logs, col == 1, row == 1, panel)
          .copyTo(out(cv::Rect(col * panel.width, row * panel.height, panel.width,
                               panel.height)));
    }
  }
  return out;
}

}  // namespace crema
