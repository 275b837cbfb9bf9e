// libcrema_python: lets the command-line tools run nets with Python layers.
// Loading the library registers the "Python" layer type; the first such
// layer starts an interpreter in the tool's process and imports the crema
// module (which the layer's class derives from and its blobs are wrapped by).
#include <pybind11/pybind11.h>

#include <mutex>
#include <string>

#include "crema/common.hpp"
#include "crema/io/proto_io.hpp"
#include "python_layer.hpp"

namespace py = pybind11;

namespace crema {
namespace python {
namespace {

// Folders that hold the crema package: the build tree's and the installed one.
const char* const kPackageDirs[] = {CREMA_PYTHON_BUILD_DIR, CREMA_PYTHON_INSTALL_DIR};

void StartInterpreter() {
  static std::once_flag started;
  std::call_once(started, [] {
    if (Py_IsInitialized()) return;  // the host runs Python already
    // No Python signal handlers: SIGINT stays with the tool's handler.
    Py_InitializeEx(0);
    py::list path = py::module_::import("sys").attr("path");
    path.insert(0, "");  // the working folder, as the python command has it
    for (const char* dir : kPackageDirs) {
      if (FileExists(std::string(dir) + "/crema/__init__.py")) path.append(dir);
    }
    // Layers take the lock when they run (any thread may run a net).
    PyEval_SaveThread();
  });
  PyGILState_STATE state = PyGILState_Ensure();
  std::string error;
  try {
    py::module_::import("crema");
  } catch (py::error_already_set& e) {
    error = e.what();
  }
  PyGILState_Release(state);
  if (!error.empty()) {
    Throw("A Python layer needs the crema Python module, which failed to import: ",
          error, ". Build it (pybind11, Python headers and numpy) and put its "
          "folder on PYTHONPATH.");
  }
}

const bool registered = (RegisterPythonLayer(PythonErrors::kToCrema, StartInterpreter), true);

}  // namespace
}  // namespace python
}  // namespace crema
