// Reduced-precision inference and training: the net-wide precision option
// (NetParameter.precision, tools' --precision) and int8 calibration files.
//
// A net's precision reaches each layer's LayerParameter.precision when the
// net builds its layers (a layer that names its own keeps it); an engine
// that can compute in it does (the DNNL convolution and inner product), the
// rest stay fp32. int8 layers also need their input's range: a calibration
// file (tools/calibrate writes one next to the weights) gives it per layer.
#ifndef CREMA_PRECISION_HPP_
#define CREMA_PRECISION_HPP_

#include <string>

#include "crema/proto/crema.pb.h"

namespace crema {

// "fp32", "bf16" or "int8" (any case); an error names the accepted values.
Precision ParsePrecision(const std::string& name);
// "fp32", "bf16" or "int8".
std::string PrecisionName(Precision precision);

// The calibration file that belongs to a weights file: x.caffemodel ->
// x.calibration.prototxt, next to it.
std::string CalibrationFileFor(const std::string& weights_file);

// Sets a net's precision from a tool's --precision flag (empty: leave the
// net's own), and for int8 reads the calibration file (empty: the one next
// to the first of the comma-separated weights files). An int8 net without
// a calibration file is an error that says how to make one.
void SetNetPrecision(const std::string& flag, const std::string& calibration_file,
                     const std::string& weights_files, NetParameter* net);

// What a layer of `net` computes in: its own precision if it names one,
// else the net's, with the net's calibration entry for it (Net calls this).
void InheritPrecision(const NetParameter& net, LayerParameter* layer);

}  // namespace crema

#endif  // CREMA_PRECISION_HPP_
