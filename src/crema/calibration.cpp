#include "crema/calibration.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "crema/common.hpp"
#include "crema/layers/base_conv_layer.hpp"

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

// The per-output-channel mean of what int8 rounding adds to a layer's
// output, measured over the calibration passes and subtracted from its bias:
// an output sums thousands of products, and while the rounding errors of
// single weights and inputs are as often up as down, their products with
// inputs that are mostly positive (after a ReLU) leave each output channel a
// steady offset. The mean of every weight's input is collected (for a
// convolution: per input channel and kernel offset, over the output
// positions, padding included), as read in fp32 and as rounded to the
// layer's int8 input steps; the offset is then
//   sum over the weights of  q(w) * mean(q(x)) - w * mean(x).
class OutputOffset {
 public:
  OutputOffset(Layer& layer, const LayerCalibration& c) : layer_(layer) {
    const LayerParameter& p = layer.layer_param();
    if (layer.blobs().empty()) return;
    const Blob& w = *layer.blobs()[0];
    if (p.type() == "Convolution") {
      const auto* conv = dynamic_cast<const BaseConvolutionLayer*>(&layer);
      // 2-D convolutions, channels on axis 1.
      if (!conv || conv->kernel_shape().size() != 2 || conv->channel_axis() != 1) return;
      kernel_ = conv->kernel_shape();
      stride_ = conv->stride();
      pad_ = conv->pad();
      dilation_ = conv->dilation();
      group_ = conv->group();
      conv_ = true;
    } else {
      const InnerProductParameter& ip = p.inner_product_param();
      transposed_ = ip.transpose();
    }
    scale_ = (c.input_signed() ? 127.f : 255.f) / c.input_max();
    signed_ = c.input_signed();
    columns_ = conv_ ? static_cast<size_t>(w.shape(1)) * group_ * kernel_[0] * kernel_[1]
                     : static_cast<size_t>(transposed_ ? w.shape(0) : w.shape(1));
    sum_x_.assign(columns_, 0.0);
    sum_q_.assign(columns_, 0.0);
    usable_ = true;
  }

  bool usable() const { return usable_; }

  // Adds one pass's input (`top` gives a convolution's output positions).
  void Add(const Blob& input, const Blob& top) {
    const float* x = input.cpu_data();
    if (!conv_) {
      if (input.count() % columns_ != 0) return;
      const size_t rows = input.count() / columns_;
      for (size_t r = 0; r < rows; ++r) {
        for (size_t k = 0; k < columns_; ++k) {
          const float v = x[r * columns_ + k];
          sum_x_[k] += v;
          sum_q_[k] += Rounded(v);
        }
      }
      samples_ += static_cast<double>(rows);
      return;
    }
    if (input.num_axes() != 4 || top.num_axes() != 4) return;
    const int n = input.shape(0), channels = input.shape(1), h = input.shape(2),
              w = input.shape(3);
    const int out_h = top.shape(2), out_w = top.shape(3);
    if (static_cast<size_t>(channels) * kernel_[0] * kernel_[1] != columns_) return;
    for (int i = 0; i < n; ++i) {
      for (int c = 0; c < channels; ++c) {
        const float* plane = x + (static_cast<size_t>(i) * channels + c) * h * w;
        for (int ky = 0; ky < kernel_[0]; ++ky) {
          for (int kx = 0; kx < kernel_[1]; ++kx) {
            double sx = 0, sq = 0;
            for (int oy = 0; oy < out_h; ++oy) {
              const int y = oy * stride_[0] - pad_[0] + ky * dilation_[0];
              if (y < 0 || y >= h) continue;  // padding: zero either way
              for (int ox = 0; ox < out_w; ++ox) {
                const int xx = ox * stride_[1] - pad_[1] + kx * dilation_[1];
                if (xx < 0 || xx >= w) continue;
                const float v = plane[y * w + xx];
                sx += v;
                sq += Rounded(v);
              }
            }
            const size_t col = (static_cast<size_t>(c) * kernel_[0] + ky) * kernel_[1] + kx;
            sum_x_[col] += sx;
            sum_q_[col] += sq;
          }
        }
      }
    }
    samples_ += static_cast<double>(n) * out_h * out_w;
  }

  // The offset of each output channel, in the output's units.
  std::vector<float> Offsets(const std::vector<float>& channel_max) const {
    const Blob& weights = *layer_.blobs()[0];
    const float* w = weights.cpu_data();
    const int outputs = static_cast<int>(channel_max.size());
    std::vector<float> offsets(outputs, 0.f);
    if (samples_ == 0) return offsets;
    const size_t per = weights.count() / outputs;  // weights per output
    const int per_group = outputs / group_;
    for (int o = 0; o < outputs; ++o) {
      const float steps = 127.f / channel_max[o];
      double offset = 0;
      for (size_t k = 0; k < per; ++k) {
        const float v = transposed_ ? w[k * outputs + o] : w[o * per + k];
        const float q = std::nearbyint(v * steps) / steps;
        // A convolution's weights of output o read group (o / per_group)'s
        // channels; an inner product's read every input.
        const size_t col = conv_ ? (o / per_group) * per + k : k;
        offset += (q * sum_q_[col] - v * sum_x_[col]) / samples_;
      }
      offsets[o] = static_cast<float>(offset);
    }
    return offsets;
  }

 private:
  // x as int8 reads it: rounded to the input's steps, clipped to its range.
  float Rounded(float v) const {
    const float q = std::nearbyint(v * scale_);
    return std::min(signed_ ? 127.f : 255.f, std::max(signed_ ? -128.f : 0.f, q)) / scale_;
  }

  Layer& layer_;
  bool usable_ = false, conv_ = false, transposed_ = false, signed_ = false;
  std::vector<int> kernel_, stride_, pad_, dilation_;
  int group_ = 1;
  float scale_ = 1.f;
  size_t columns_ = 0;
  std::vector<double> sum_x_, sum_q_;
  double samples_ = 0;
};

std::vector<float> ChannelMax(Layer& layer) {
  std::vector<float> max;
  if (layer.blobs().empty()) return max;
  const Blob& w = *layer.blobs()[0];
  const bool transposed = layer.layer_param().type() == "InnerProduct" &&
                          layer.layer_param().inner_product_param().transpose();
  const int channels = transposed ? w.shape(1) : w.shape(0);
  if (channels == 0) return max;
  const size_t per = w.count() / channels;
  max.assign(channels, 0.f);
  const float* data = w.cpu_data();
  for (size_t i = 0; i < static_cast<size_t>(w.count()); ++i) {
    const size_t o = transposed ? i % channels : i / per;
    max[o] = std::max(max[o], std::fabs(data[i]));
  }
  for (float& m : max) {
    if (m == 0.f) m = 1.f;  // an all-zero channel: any scale will do
  }
  return max;
}

// Another round of passes measures each layer's output offset (OutputOffset)
// and writes it as the layer's bias_correction.
void CorrectBiases(Net* net, const std::vector<int>& layers, const CalibrationOptions& options,
                   const std::function<void(int pass)>& feed, CalibrationParameter* out) {
  std::vector<OutputOffset> offsets;
  for (size_t l = 0; l < layers.size(); ++l) {
    offsets.emplace_back(*net->layers()[layers[l]], out->layer(l));
  }
  for (int it = 0; it < options.iterations; ++it) {
    if (feed) feed(it);
    net->Forward();
    for (size_t l = 0; l < layers.size(); ++l) {
      if (!offsets[l].usable()) continue;
      offsets[l].Add(*net->bottom_vecs()[layers[l]][0], *net->top_vecs()[layers[l]][0]);
    }
  }
  for (size_t l = 0; l < layers.size(); ++l) {
    Layer& layer = *net->layers()[layers[l]];
    // Only a layer with a bias can take the correction.
    if (!offsets[l].usable() || layer.blobs().size() < 2) continue;
    LayerCalibration* c = out->mutable_layer(l);
    for (float offset : offsets[l].Offsets(ChannelMax(layer))) c->add_bias_correction(offset);
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
  if (net->shares_activation_memory()) {
    Throw("Calibration reads every layer's input after a pass, and net '", net->name(),
          "' shares activation memory between layers (ShareActivationMemory); calibrate a "
          "net that does not.");
  }
  // The passes' blobs are read as plain values (a net made from Python
  // leaves them in the engine's layout otherwise).
  struct PlainAfterPass {
    Net* net;
    bool was;
    ~PlainAfterPass() { net->set_plain_after_pass(was); }
  } plain{net, net->plain_after_pass()};
  net->set_plain_after_pass(true);
  std::vector<int> layers;
  for (int i = 0; i < net->num_layers(); ++i) {
    if (Quantizable(*net->layers()[i]) && !net->bottom_vecs()[i].empty()) layers.push_back(i);
  }
  std::vector<Range> ranges(layers.size());
  const bool histogram = options.method != "maxabs";
  for (int round = 0; round < (histogram ? 2 : 1); ++round) {
    for (int it = 0; it < options.iterations; ++it) {
      if (feed) feed(it);
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
    for (float m : ChannelMax(layer)) c->add_weight_scale(m);
  }
  if (options.bias_correction) CorrectBiases(net, layers, options, feed, &out);
  return out;
}

}  // namespace crema
