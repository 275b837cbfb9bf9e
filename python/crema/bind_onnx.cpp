// ONNX export and import for crema/onnx.py.
#include <pybind11/pybind11.h>

#include <string>

#include "bindings.hpp"
#include "crema/onnx/onnx.hpp"

namespace py = pybind11;

namespace crema {
namespace python {
namespace {

OnnxExportOptions Options(int opset, bool fold_batch_norm_scale) {
  OnnxExportOptions options;
  options.opset = opset;
  options.fold_batch_norm_scale = fold_batch_norm_scale;
  return options;
}

void ExportNet(Net& net, const std::string& onnx_file, int opset, bool fold) {
  AssumeViewsWritten();
  py::gil_scoped_release release;
  net.ToPlain();  // export reads the weights' plain values
  onnx::ModelProto model;
  ExportOnnx(net, Options(opset, fold), &model);
  WriteOnnxModel(model, onnx_file);
}

}  // namespace

void BindOnnx(py::module_& m) {
  m.def("_onnx_export_net", &ExportNet, py::arg("net"), py::arg("onnx_file"),
        py::arg("opset"), py::arg("fold_batch_norm_scale"));
  m.def("_onnx_export_files",
        [](const std::string& model, const std::string& weights, const std::string& onnx_file,
           int opset, bool fold) {
          py::gil_scoped_release release;
          ExportOnnxFile(model, weights, onnx_file, Options(opset, fold));
        },
        py::arg("model"), py::arg("weights"), py::arg("onnx_file"), py::arg("opset"),
        py::arg("fold_batch_norm_scale"));
  m.def("_onnx_import_files",
        [](const std::string& onnx_file, const std::string& prototxt, const std::string& weights) {
          py::gil_scoped_release release;
          ImportOnnxFile(onnx_file, prototxt, weights);
        },
        py::arg("onnx_file"), py::arg("prototxt"), py::arg("weights"));
}

}  // namespace python
}  // namespace crema
