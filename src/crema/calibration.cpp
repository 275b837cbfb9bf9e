#include "crema/calibration.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "crema/common.hpp"

namespace crema {
namespace {

constexpr int kBins = 4096;

bool Quantizable(const Layer& layer) {
  const std::string type = layer.type();
  return type == "Convolution" || type == "InnerProduct";
}

// What one layer's inputs looked like.
struct Range {
  float max_abs = 0.f;
  bool negative = false;
  std::vector<double> histogram;  // of |x| over [0, max_abs]
};

void Measure(const Blob& blob, Range* range) {
  const float* x = blob.cpu_data();
  for (int i = 0; i < blob.count(); ++i) {
    range->max_abs = std::max(range->max_abs, std::fabs(x[i]));
    range->negative |= x[i] < 0.f;
  }
}

void Count(const Blob& blob, Range* range) {
  if (range->histogram.empty()) range->histogram.assign(kBins, 0.0);
  if (range->max_abs <= 0.f) return;
  const float per_bin = kBins / range->max_abs;
  const float* x = blob.cpu_data();
  for (int i = 0; i < blob.count(); ++i) {
    const int bin = std::min(kBins - 1, static_cast<int>(std::fabs(x[i]) * per_bin));
    range->histogram[bin] += 1.0;
  }
}

// The |x| below which `percentile` percent of the counted inputs lie.
float PercentileOf(const Range& range, double percentile) {
  double total = 0;
  for (double c : range.histogram) total += c;
  const double wanted = total * percentile / 100.0;
  double seen = 0;
  for (int b = 0; b < kBins; ++b) {
    seen += range.histogram[b];
    if (seen >= wanted) return range.max_abs * (b + 1) / kBins;
  }
  return range.max_abs;
}

// The |x| range that rounds the counted inputs with the least squared
// error: inputs above the range are clipped to it (their error grows with
// their distance), those inside are rounded to one of `steps` steps (an
// error of step^2 / 12 each). Candidates are the histogram's bin edges.
float MinimumErrorOf(const Range& range, int steps) {
  const double bin = range.max_abs / kBins;
  double best_error = -1;
  int best = kBins;
  for (int t = 16; t <= kBins; ++t) {
    const double top = t * bin;
    const double step = top / steps;
    double error = 0;
    for (int b = 0; b < kBins; ++b) {
      const double count = range.histogram[b];
      if (count == 0) continue;
      if (b < t) {
        error += count * step * step / 12;
      } else {
        const double over = (b + 0.5) * bin - top;
        error += count * over * over;
      }
    }
    if (best_error < 0 || error < best_error) {
      best_error = error;
      best = t;
    }
  }
  return static_cast<float>(best * bin);
}

void AddWeightScales(Layer& layer, LayerCalibration* c) {
  if (layer.blobs().empty()) return;
  const Blob& w = *layer.blobs()[0];
  const int channels = w.shape(0);
  if (channels == 0) return;
  const int per = w.count() / channels;
  const float* data = w.cpu_data();
  for (int o = 0; o < channels; ++o) {
    float m = 0.f;
    for (int i = 0; i < per; ++i) m = std::max(m, std::fabs(data[o * per + i]));
    c->add_weight_scale(m);
  }
}

}  // namespace

CalibrationParameter Calibrate(Net* net, const CalibrationOptions& options,
                               const std::function<void(int pass)>& feed) {
  if (options.method != "percentile" && options.method != "maxabs" &&
      options.method != "mse") {
    Throw("Unknown calibration method '", options.method,
          "'; use percentile, mse or maxabs.");
  }
  if (options.iterations < 1) Throw("Calibration needs at least one iteration.");
  std::vector<int> layers;
  for (int i = 0; i < net->num_layers(); ++i) {
    if (Quantizable(*net->layers()[i]) && !net->bottom_vecs()[i].empty()) layers.push_back(i);
  }
  std::vector<Range> ranges(layers.size());
  const bool histogram = options.method != "maxabs";
  for (int round = 0; round < (histogram ? 2 : 1); ++round) {
    for (int it = 0; it < options.iterations; ++it) {
      if (feed) feed(round * options.iterations + it);
      net->Forward();
      for (size_t l = 0; l < layers.size(); ++l) {
        const Blob& input = *net->bottom_vecs()[layers[l]][0];
        if (round == 0) Measure(input, &ranges[l]);
        if (round == 1) Count(input, &ranges[l]);
      }
    }
  }
  CalibrationParameter out;
  out.set_method(options.method);
  if (!layers.empty()) {
    const Blob& first = *net->bottom_vecs()[layers[0]][0];
    out.set_images(options.iterations * (first.num_axes() > 0 ? first.shape(0) : 1));
  }
  for (size_t l = 0; l < layers.size(); ++l) {
    Layer& layer = *net->layers()[layers[l]];
    LayerCalibration* c = out.add_layer();
    c->set_name(layer.layer_param().name());
    float max = ranges[l].max_abs;
    if (options.method == "percentile") max = PercentileOf(ranges[l], options.percentile);
    if (options.method == "mse") max = MinimumErrorOf(ranges[l], ranges[l].negative ? 127 : 255);
    c->set_input_max(max > 0.f ? max : 1.f);
    c->set_input_signed(ranges[l].negative);
    AddWeightScales(layer, c);
  }
  return out;
}

}  // namespace crema
