// import_onnx model.onnx --out deploy.prototxt --weights w.caffemodel:
// converts an ONNX model into a crema (Caffe) net and its weights.
#include <gflags/gflags.h>

#include <iostream>

#include "crema/onnx/onnx.hpp"
#include "crema/tool.hpp"

DEFINE_string(out, "", "The deploy net (.prototxt) to write.");
DEFINE_string(weights, "", "The weights (.caffemodel) to write.");

int main(int argc, char** argv) {
  return crema::RunTool(argc, argv,
                        "Converts an ONNX model into a crema (Caffe) deploy net and its "
                        "weights.\n"
                        "Usage: import_onnx model.onnx --out=deploy.prototxt "
                        "--weights=w.caffemodel",
                        [](int argc, char** argv) {
                          crema::ExpectArgs(argc, 1, 1);
                          if (FLAGS_out.empty()) throw crema::UsageError("--out is required.");
                          crema::ImportOnnxFile(argv[1], FLAGS_out, FLAGS_weights);
                          std::cout << "Wrote " << FLAGS_out
                                    << (FLAGS_weights.empty() ? "" : " and " + FLAGS_weights)
                                    << std::endl;
                          return 0;
                        });
}
