#include "python_layer.hpp"

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>
#include <utility>
#include <vector>

#include "crema/layer_registry.hpp"

namespace py = pybind11;

namespace crema {
namespace python {
namespace {

// Holds the interpreter lock for a scope, on any thread, whether or not the
// caller held it already.
class GilScope {
 public:
  GilScope() : state_(PyGILState_Ensure()) {}
  ~GilScope() { PyGILState_Release(state_); }
  GilScope(const GilScope&) = delete;
  GilScope& operator=(const GilScope&) = delete;

 private:
  PyGILState_STATE state_;
};

py::list BlobList(const std::vector<Blob*>& blobs) {
  py::list list;
  for (Blob* blob : blobs) list.append(py::cast(blob, py::return_value_policy::reference));
  return list;
}

// The LayerParameter as a crema_pb2 message when the generated module is
// importable (None otherwise): Caffe hands it to the layer's constructor.
py::object ParamObject(const LayerParameter& param) {
  try {
    py::object pb2 = py::module_::import("crema.proto.crema_pb2");
    std::string bytes;
    param.SerializeToString(&bytes);
    return pb2.attr("LayerParameter").attr("FromString")(py::bytes(bytes));
  } catch (py::error_already_set&) {
    return py::none();
  }
}

class PythonLayer : public Layer {
 public:
  PythonLayer(const LayerParameter& param, PythonErrors errors)
      : Layer(param), errors_(errors) {}
  ~PythonLayer() override {
    if (!self_) return;
    GilScope gil;
    self_ = py::object();
  }

  const char* type() const override { return "Python"; }

  void LayerSetUp(const std::vector<Blob*>& bottom,
                  const std::vector<Blob*>& top) override {
    GilScope gil;
    CreateObject();
    Call("setup", [&] { self_.attr("setup")(BlobList(bottom), BlobList(top)); });
  }
  void Reshape(const std::vector<Blob*>& bottom,
               const std::vector<Blob*>& top) override {
    GilScope gil;
    Call("reshape", [&] { self_.attr("reshape")(BlobList(bottom), BlobList(top)); });
  }

 protected:
  void Forward_cpu(const std::vector<Blob*>& bottom,
                   const std::vector<Blob*>& top) override {
    GilScope gil;
    Call("forward", [&] { self_.attr("forward")(BlobList(bottom), BlobList(top)); });
  }
  void Backward_cpu(const std::vector<Blob*>& top, const std::vector<bool>& propagate_down,
                    const std::vector<Blob*>& bottom) override {
    GilScope gil;
    Call("backward", [&] {
      py::list down;
      for (bool value : propagate_down) down.append(value);
      self_.attr("backward")(BlobList(top), down, BlobList(bottom));
    });
  }

 private:
  std::string Where() const {
    const PythonParameter& p = layer_param_.python_param();
    return p.module() + "." + p.layer();
  }

  // Runs one of the object's methods; a Python exception either goes on as
  // it is or becomes a crema::Error naming the layer and the method.
  template <typename F>
  void Call(const char* method, F&& body) {
    try {
      body();
    } catch (py::error_already_set& e) {
      if (errors_ == PythonErrors::kKeep) throw;
      Fail(Where(), ".", method, " raised ", e.what());
    }
  }

  void CreateObject() {
    const PythonParameter& p = layer_param_.python_param();
    if (p.module().empty() || p.layer().empty()) {
      Fail("python_param needs `module` (a Python module on PYTHONPATH) and "
           "`layer` (the class in it).");
    }
    py::module_ module;
    try {
      module = py::module_::import(p.module().c_str());
    } catch (py::error_already_set& e) {
      Fail("cannot import Python module '", p.module(), "' (python_param.module): ",
           e.what(), ". Put the folder that holds ", p.module(), ".py on PYTHONPATH.");
    }
    if (!py::hasattr(module, p.layer().c_str())) {
      Fail("Python module '", p.module(), "' has no class '", p.layer(),
           "' (python_param.layer).");
    }
    Call("__init__", [&] {
      self_ = module.attr(p.layer().c_str())(ParamObject(layer_param_));
      self_.attr("param_str") = p.param_str();
      self_.attr("phase") = static_cast<int>(phase_);
      self_.attr("blobs") = py::cast(LayerBlobs{this});
    });
  }

  PythonErrors errors_;
  py::object self_;
};

}  // namespace

void RegisterPythonLayer(PythonErrors errors, std::function<void()> before_create) {
  if (LayerRegistry::Has("Python")) return;
  LayerRegistry::Add(
      "Python", LayerRegistry::kReferenceEngine, 0,
      [errors, before_create](const LayerParameter& param) -> std::shared_ptr<Layer> {
        if (before_create) before_create();
        return std::make_shared<PythonLayer>(param, errors);
      });
}

}  // namespace python
}  // namespace crema
