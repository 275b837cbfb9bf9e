// export_onnx --model deploy.prototxt [--weights w.caffemodel] --out model.onnx
// [--opset 13]: writes a crema net and its weights as an ONNX model.
#include <gflags/gflags.h>

#include <iostream>

#include "crema/onnx/onnx.hpp"
#include "crema/tool.hpp"

DEFINE_string(model, "", "The deploy net (.prototxt) to export.");
DEFINE_string(weights, "", "Its weights (.caffemodel); without them the fillers' values.");
DEFINE_string(out, "", "The ONNX file to write.");
DEFINE_int32(opset, 13, "The ONNX operator set to write (13 to 17).");
DEFINE_bool(fold_batch_norm_scale, true,
            "Write BatchNorm and the Scale after it as one BatchNormalization node.");

int main(int argc, char** argv) {
  return crema::RunTool(argc, argv,
                        "Writes a crema (Caffe) net and its weights as an ONNX model.\n"
                        "Usage: export_onnx --model=deploy.prototxt --weights=w.caffemodel "
                        "--out=model.onnx\n"
                        "                   [--opset=13]",
                        [](int argc, char** argv) {
                          crema::ExpectArgs(argc, 0, 0);
                          if (FLAGS_model.empty()) throw crema::UsageError("--model is required.");
                          if (FLAGS_out.empty()) throw crema::UsageError("--out is required.");
                          crema::OnnxExportOptions options;
                          options.opset = FLAGS_opset;
                          options.fold_batch_norm_scale = FLAGS_fold_batch_norm_scale;
                          crema::ExportOnnxFile(FLAGS_model, FLAGS_weights, FLAGS_out, options);
                          std::cout << "Wrote " << FLAGS_out << " (ONNX opset " << FLAGS_opset
                                    << ")" << std::endl;
                          return 0;
                        });
}
