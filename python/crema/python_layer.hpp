// The "Python" layer: a layer whose setup, reshape, forward and backward are
// methods of a Python object (python_param { module layer param_str }), as in
// Caffe. The same source serves two hosts:
//  - the crema Python module (_crema), inside a running interpreter;
//  - libcrema_python, linked into the command-line tools, which starts an
//    interpreter the first time a net asks for a Python layer.
// Only code built with the Python option includes this header; the core
// library never sees Python.
#ifndef CREMA_PYTHON_PYTHON_LAYER_HPP_
#define CREMA_PYTHON_PYTHON_LAYER_HPP_

#include <functional>

#include "crema/layer.hpp"

namespace crema {
namespace python {

// How the layer reports an exception raised by the Python code.
enum class PythonErrors {
  kKeep,     // re-raise it as it is (inside the Python module)
  kToCrema,  // turn it into a crema::Error carrying its text (tools)
};

// A layer's parameter blobs as Python sees them (`layer.blobs`,
// `self.blobs` in a Python layer): a list that can grow (add_blob).
struct LayerBlobs {
  Layer* layer;
};

// Registers the "Python" layer type unless it is registered already (a tool
// that imports the crema module registers it twice otherwise).
// `before_create` runs before each Python layer is built (the tools start
// the interpreter there).
void RegisterPythonLayer(PythonErrors errors, std::function<void()> before_create = {});

}  // namespace python
}  // namespace crema

#endif  // CREMA_PYTHON_PYTHON_LAYER_HPP_
