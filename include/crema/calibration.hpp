// int8 calibration: the range of each convolution's and inner product's
// input, measured over forward passes of an fp32 net, which int8 maps onto
// u8 (inputs that are never negative) or s8.
#ifndef CREMA_CALIBRATION_HPP_
#define CREMA_CALIBRATION_HPP_

#include <functional>
#include <string>

#include "crema/net.hpp"
#include "crema/proto/crema.pb.h"

namespace crema {

struct CalibrationOptions {
  // "mse": the range that quantizes the inputs seen with the least squared
  // error (clipping against rounding); "percentile": the range covers
  // `percentile` percent of |inputs| (a few outliers are clipped so the rest
  // keep their resolution); "maxabs": the largest |input| seen. mse kept
  // the zoo nets' top-1 agreement best (docs/precision.md).
  std::string method = "mse";
  double percentile = 99.99;
  int iterations = 10;  // forward passes per measuring round
  // Measure, in a further round, the mean offset int8 rounding gives each
  // output channel, and write it for the bias to cancel.
  bool bias_correction = true;
};

// Runs `net` forward in rounds of options.iterations passes (one for the
// ranges' bounds, one for their histograms unless maxabs, one for the bias
// corrections if asked) and returns the input range of every Convolution and
// InnerProduct layer, with each layer's per-output-channel max |weight| and
// bias correction. `feed`, if given, fills the inputs before each pass and
// is told which pass of its round it is (0 to iterations - 1), so that every
// round sees the same inputs; without it the net's own data layers run on.
CalibrationParameter Calibrate(Net* net, const CalibrationOptions& options,
                               const std::function<void(int pass)>& feed = nullptr);

}  // namespace crema

#endif  // CREMA_CALIBRATION_HPP_
