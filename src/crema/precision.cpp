#include "crema/precision.hpp"

#include <algorithm>
#include <cctype>

#include "crema/common.hpp"
#include "crema/io/proto_io.hpp"
#include "crema/tool.hpp"

namespace crema {

Precision ParsePrecision(const std::string& name) {
  std::string lower = name;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower == "fp32" || lower == "float" || lower == "float32") return FP32;
  if (lower == "bf16" || lower == "bfloat16") return BF16;
  if (lower == "int8") return INT8;
  Throw("Unknown precision '", name, "'; use fp32, bf16 or int8.");
}

std::string PrecisionName(Precision precision) {
  switch (precision) {
    case BF16: return "bf16";
    case INT8: return "int8";
    default: return "fp32";
  }
}

std::string CalibrationFileFor(const std::string& weights_file) {
  std::string stem = weights_file;
  const std::string ext = ".caffemodel";
  if (stem.size() > ext.size() && stem.compare(stem.size() - ext.size(), ext.size(), ext) == 0) {
    stem.resize(stem.size() - ext.size());
  }
  return stem + ".calibration.prototxt";
}

void SetNetPrecision(const std::string& flag, const std::string& calibration_file,
                     const std::string& weights_files, NetParameter* net) {
  if (!flag.empty()) net->set_precision(ParsePrecision(flag));
  if (net->precision() != INT8 || net->has_calibration()) return;
  std::string file = calibration_file;
  if (file.empty()) {
    const std::vector<std::string> weights = SplitCommas(weights_files);
    if (weights.empty()) {
      Throw("int8 needs a calibration file: give --calibration=FILE (tools/calibrate "
            "writes one next to the weights).");
    }
    file = CalibrationFileFor(weights[0]);
  }
  if (!FileExists(file)) {
    Throw("int8 needs the calibration file '", file, "', which does not exist; make it with "
          "tools/calibrate --model=... --weights=... --data=..., or give --calibration=FILE.");
  }
  ReadProtoFromTextFile(file, net->mutable_calibration());
  LOG(INFO) << "int8 calibration from " << file << " (" << net->calibration().layer_size()
            << " layers, method " << net->calibration().method() << ").";
}

void InheritPrecision(const NetParameter& net, LayerParameter* layer) {
  if (!layer->has_precision() && net.has_precision()) layer->set_precision(net.precision());
  if (layer->has_calibration()) return;
  for (const LayerCalibration& c : net.calibration().layer()) {
    if (c.name() == layer->name()) {
      *layer->mutable_calibration() = c;
      return;
    }
  }
}

}  // namespace crema
