// Converting nets between crema (Caffe's prototxt + caffemodel) and ONNX.
//
// Export walks a built Net (TEST phase, weights in place) and writes one ONNX
// node (or a few) per layer; a layer ONNX cannot express stops the export
// with an error naming it. Import reads an ONNX graph of the operators that
// export writes (and what PyTorch's exporter writes for the usual image
// classifiers) and returns a NetParameter whose layers carry their weights.
// docs/onnx.md lists the layers and operators and their limits.
#ifndef CREMA_ONNX_ONNX_HPP_
#define CREMA_ONNX_ONNX_HPP_

#include <string>

#include "crema/net.hpp"
#include "crema/proto/crema.pb.h"
#include "crema/proto/onnx.pb.h"

namespace crema {

struct OnnxExportOptions {
  // The ONNX operator set written (13 to 17; the ops crema writes mean the
  // same in all of them).
  int opset = 13;
  // BatchNorm followed by the Scale that reads it becomes one
  // BatchNormalization node; otherwise each becomes its own node(s).
  bool fold_batch_norm_scale = true;
};

// The lowest and highest opsets export writes.
constexpr int kOnnxMinExportOpset = 13;
constexpr int kOnnxMaxExportOpset = 17;

// Writes `net` as an ONNX model. The net's input shapes become the graph's
// (fixed) input shapes; its output blobs become the graph's outputs, under
// the same names.
void ExportOnnx(const Net& net, const OnnxExportOptions& options, onnx::ModelProto* model);

// Builds the net in `model_file` (TEST phase), loads `weights_file` (a
// .caffemodel; none when empty: the fillers' values) and writes the ONNX
// model to `onnx_file`.
void ExportOnnxFile(const std::string& model_file, const std::string& weights_file,
                    const std::string& onnx_file, const OnnxExportOptions& options);

// Converts an ONNX model into a deploy net whose layers hold their weights
// in `blobs` (as a .caffemodel does). Throws crema::Error naming the first
// node that crema cannot express.
void ImportOnnx(const onnx::ModelProto& model, NetParameter* net);

// Reads `onnx_file`, converts it, checks that the result builds, and writes
// the net without weights to `prototxt_file` and with them to
// `weights_file` (skipped when empty).
void ImportOnnxFile(const std::string& onnx_file, const std::string& prototxt_file,
                    const std::string& weights_file);

void ReadOnnxModel(const std::string& path, onnx::ModelProto* model);
void WriteOnnxModel(const onnx::ModelProto& model, const std::string& path);

}  // namespace crema

#endif  // CREMA_ONNX_ONNX_HPP_
