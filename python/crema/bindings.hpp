// Pieces of the _crema extension module, one function per part of the API.
#ifndef CREMA_PYTHON_BINDINGS_HPP_
#define CREMA_PYTHON_BINDINGS_HPP_

#include <pybind11/pybind11.h>

namespace crema {
namespace python {

void BindBlob(pybind11::module_& m);    // Blob, its numpy views; layers' blob lists
void BindNet(pybind11::module_& m);     // Net, Layer
void BindSolver(pybind11::module_& m);  // solvers, get_solver, Ctrl-C handling
void BindImage(pybind11::module_& m);   // image reading and resizing (OpenCV)
void BindOnnx(pybind11::module_& m);    // ONNX export and import (crema/onnx.py)

// Called before a pass or a training step that Python starts: numpy arrays
// still alive may have written their blobs' plain values, so any engine form
// kept beside those values is stale (the next pass rebuilds it).
void AssumeViewsWritten();

}  // namespace python
}  // namespace crema

#endif  // CREMA_PYTHON_BINDINGS_HPP_
