// The crema extension module. crema/__init__.py re-exports it with pycaffe's
// names; see docs/python.md.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>

#include "bindings.hpp"
#include "crema/common.hpp"
#include "crema/layer_registry.hpp"
#include "crema/proto/crema.pb.h"
#include "python_layer.hpp"

namespace py = pybind11;

namespace crema {
namespace python {
namespace {

void StartLogging() {
  if (google::IsGoogleLoggingInitialized()) return;  // a tool that embeds Python
  FLAGS_logtostderr = 1;
  google::InitGoogleLogging("crema");
}

void BindGlobals(py::module_& m) {
  m.attr("TRAIN") = static_cast<int>(TRAIN);
  m.attr("TEST") = static_cast<int>(TEST);
  m.def("set_mode_cpu", [] { Crema::set_mode(Mode::CPU); });
  m.def("set_mode_gpu", [] {
    Throw("This build of crema has no GPU support; use crema.set_mode_cpu().");
  });
  m.def("set_device", [](int) {
    Throw("This build of crema has no GPU support; there is no device to choose.");
  });
  m.def("set_random_seed", [](uint64_t seed) { Crema::set_random_seed(seed); },
        py::arg("seed"), "Seeds crema's random engine (fillers, dropout, shuffling).");
  m.def("layer_type_list", &LayerRegistry::Types, "The registered layer types.");
  m.def("set_log_level", [](int level) { FLAGS_minloglevel = level; }, py::arg("level"),
        "glog's minimum level: 0 INFO, 1 WARNING, 2 ERROR.");
}

}  // namespace
}  // namespace python
}  // namespace crema

PYBIND11_MODULE(_crema, m) {
  using namespace crema::python;
  m.doc() = "crema's C++ core: nets, blobs, solvers.";
  py::register_exception<crema::Error>(m, "CremaError", PyExc_RuntimeError);
  StartLogging();
  BindGlobals(m);
  BindBlob(m);
  BindNet(m);
  BindSolver(m);
  BindImage(m);
  BindOnnx(m);
  RegisterPythonLayer(PythonErrors::kKeep);
}
