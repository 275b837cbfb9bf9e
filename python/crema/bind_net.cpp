// Net and Layer. The Python package (crema/net.py) builds pycaffe's
// interface (blobs and params as ordered dicts, forward with inputs, ...)
// on the underscore methods here.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <google/protobuf/text_format.h>

#include "bindings.hpp"
#include "crema/calibration.hpp"
#include "crema/io/proto_io.hpp"
#include "crema/io/upgrade_proto.hpp"
#include "crema/net.hpp"
#include "crema/precision.hpp"
#include "python_layer.hpp"

namespace py = pybind11;

namespace crema {
namespace python {
namespace {

Phase CheckedPhase(int phase) {
  if (phase != TRAIN && phase != TEST) {
    throw py::value_error("phase must be crema.TRAIN (0) or crema.TEST (1), not " +
                          std::to_string(phase) + ".");
  }
  return static_cast<Phase>(phase);
}

// precision ("fp32", "bf16", "int8") and calibration (an int8 calibration
// file; by default the one tools/calibrate writes next to the weights) work
// as the tools' --precision and --calibration.
std::shared_ptr<Net> MakeNet(const std::string& file, int phase, int level,
                             const std::optional<std::vector<std::string>>& stages,
                             const std::optional<std::string>& weights,
                             const std::optional<std::string>& precision,
                             const std::optional<std::string>& calibration) {
  const Phase checked = CheckedPhase(phase);
  py::gil_scoped_release release;  // Python layers take it back when they run
  NetParameter param;
  ReadNetParamsFromTextFile(file, &param);
  param.mutable_state()->set_phase(checked);
  param.mutable_state()->set_level(level);
  for (const auto& stage : stages.value_or(std::vector<std::string>())) {
    param.mutable_state()->add_stage(stage);
  }
  if (precision || calibration) {
    SetNetPrecision(precision.value_or(""), calibration.value_or(""), weights.value_or(""),
                    &param);
  }
  auto net = std::make_shared<Net>(param);
  if (weights && !weights->empty()) net->CopyTrainedLayersFrom(*weights);
  // A pass converts only what Python can see: the outputs, and memory that a
  // numpy view was taken of (keep_plain); another blob is converted when its
  // first view is taken.
  net->set_plain_after_pass(false);
  return net;
}

void CheckLayerRange(const Net& net, int first, int last, const char* what) {
  const int n = net.num_layers();
  if (first < 0 || first >= n || last < 0 || last >= n) {
    throw py::index_error(std::string(what) + ": layer indices " + std::to_string(first) +
                          ".." + std::to_string(last) + " are outside the net's " +
                          std::to_string(n) + " layers.");
  }
}

float ForwardRange(Net& net, int start, int end) {
  if (net.num_layers() == 0) return 0.f;
  CheckLayerRange(net, start, end, "forward");
  if (start > end) throw py::value_error("forward: start comes after end.");
  AssumeViewsWritten();
  py::gil_scoped_release release;
  return net.ForwardFromTo(start, end);
}

void BackwardRange(Net& net, int start, int end) {
  if (net.num_layers() == 0) return;
  CheckLayerRange(net, start, end, "backward");
  if (start < end) throw py::value_error("backward: start comes before end.");
  AssumeViewsWritten();
  py::gil_scoped_release release;
  net.BackwardFromTo(start, end);
}

// Net.calibrate: tools/calibrate for a net fed from Python. Returns the
// calibration file's text.
std::string CalibrateNet(Net& net, const py::object& feed, int iterations,
                         const std::string& method, double percentile, bool bias_correction) {
  CalibrationOptions options;
  options.iterations = iterations;
  options.method = method;
  options.percentile = percentile;
  options.bias_correction = bias_correction;
  std::function<void(int)> fill;
  if (!feed.is_none()) {
    fill = [&feed](int pass) {
      py::gil_scoped_acquire gil;
      feed(pass);
      AssumeViewsWritten();
    };
  }
  AssumeViewsWritten();
  CalibrationParameter result;
  {
    py::gil_scoped_release release;
    result = Calibrate(&net, options, fill);
  }
  std::string text;
  google::protobuf::TextFormat::PrintToString(result, &text);
  return text;
}

void Save(const Net& net, const std::string& path) {
  NetParameter param;
  net.ToProto(&param, false);
  WriteProtoToBinaryFile(param, path);
}

void BindLayer(py::module_& m) {
  py::class_<Layer, std::shared_ptr<Layer>>(m, "Layer_",
      "A layer of a net: its type, name and parameter blobs.")
      .def_property_readonly("type", [](const Layer& l) { return l.layer_param().type(); })
      .def_property_readonly("name", [](const Layer& l) { return l.name(); })
      .def_property_readonly("blobs", [](Layer& l) { return LayerBlobs{&l}; },
                             py::keep_alive<0, 1>())
      .def("__repr__", [](const Layer& l) {
        return "<Layer " + l.name() + " (" + l.layer_param().type() + ")>";
      });
}

}  // namespace

void BindNet(py::module_& m) {
  BindLayer(m);
  py::class_<Net, std::shared_ptr<Net>>(m, "Net", py::dynamic_attr())
      .def(py::init(&MakeNet), py::arg("network_file"), py::arg("phase"),
           py::arg("level") = 0, py::arg("stages") = py::none(),
           py::arg("weights") = py::none(), py::arg("precision") = py::none(),
           py::arg("calibration") = py::none())
      .def(py::init([](const std::string& file, const std::string& weights, int phase,
                       const std::optional<std::string>& precision,
                       const std::optional<std::string>& calibration) {
             return MakeNet(file, phase, 0, std::nullopt, weights, precision, calibration);
           }), py::arg("network_file"), py::arg("weights"), py::arg("phase"),
           py::arg("precision") = py::none(), py::arg("calibration") = py::none())
      .def("_forward", &ForwardRange)
      .def("_backward", &BackwardRange)
      .def("reshape", [](Net& net) {
             py::gil_scoped_release release;
             net.Reshape();
           }, "Propagates new input shapes through the net.")
      .def("copy_from", [](Net& net, const std::string& path) {
             py::gil_scoped_release release;
             net.CopyTrainedLayersFrom(path);
           }, py::arg("weights"), "Copies weights (matched by layer name) from a .caffemodel.")
      .def("share_with", [](Net& net, const Net& other) { net.ShareTrainedLayersWith(other); },
           py::arg("other"), "Makes this net use other's parameter blobs.")
      .def("save", &Save, py::arg("path"), "Writes the weights as a .caffemodel.")
      .def("calibrate", &CalibrateNet, py::arg("feed") = py::none(), py::arg("iterations") = 10,
           py::arg("method") = "mse", py::arg("percentile") = 99.99,
           py::arg("bias_correction") = true,
           "Runs the net forward to measure int8 input ranges, as tools/calibrate does,\n"
           "and returns the calibration file's text. feed(i), if given, fills the inputs for\n"
           "pass i of each round of `iterations` passes (every round sees the same inputs).")
      .def_property_readonly("name", &Net::name)
      .def_property_readonly("phase", [](const Net& n) { return static_cast<int>(n.phase()); })
      .def_property_readonly("_blob_names", &Net::blob_names)
      .def_property_readonly("_blobs", &Net::blobs)
      .def_property_readonly("_layer_names", &Net::layer_names)
      .def_property_readonly("layers", &Net::layers)
      .def_property_readonly("_inputs", &Net::input_blob_indices)
      .def_property_readonly("_outputs", &Net::output_blob_indices)
      .def_property_readonly("_blob_loss_weights", &Net::blob_loss_weights)
      .def("_top_ids", [](const Net& n, int i) { return n.top_ids(i); })
      .def("_bottom_ids", [](const Net& n, int i) { return n.bottom_ids(i); })
      .def_property("plain_after_pass", &Net::plain_after_pass, &Net::set_plain_after_pass,
                    "Whether a pass converts every blob to plain values (default False: only the\n"
                    "outputs and blobs with numpy views, the rest when first viewed).");
}

}  // namespace python
}  // namespace crema
