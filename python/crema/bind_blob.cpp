// Blob: numpy views of its data and diff that alias the blob's memory.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "bindings.hpp"
#include "crema/blob.hpp"
#include "python_layer.hpp"

namespace py = pybind11;

namespace crema {
namespace python {
namespace {

// Memory that numpy arrays still view, and how many arrays view each. The
// registry is touched with the interpreter lock held only.
std::unordered_map<SyncedMemory*, int>& LiveViews() {
  static auto* views = new std::unordered_map<SyncedMemory*, int>();
  return *views;
}

struct ViewOwner {
  std::shared_ptr<SyncedMemory> memory;
};

// A writable float32 array over the plain buffer of `memory`, no copy. The
// array keeps the buffer alive: it stays a valid (if stale) array even after
// the blob is reshaped past its capacity and moves to new memory. The memory
// is marked keep_plain, so a net converts it after each pass and an engine
// keeps its own form beside the plain one.
py::array View(const Blob& blob, const std::shared_ptr<SyncedMemory>& memory) {
  std::vector<py::ssize_t> shape(blob.shape().begin(), blob.shape().end());
  if (blob.count() == 0 || !memory) return py::array_t<float>(shape);
  memory->ToPlain();  // a no-op after a net's pass; engines' forms otherwise
  memory->set_keep_plain(true);
  auto* data = static_cast<float*>(memory->mutable_cpu_data());
  ++LiveViews()[memory.get()];
  py::capsule base(new ViewOwner{memory}, [](void* p) {
    auto* owner = static_cast<ViewOwner*>(p);
    auto it = LiveViews().find(owner->memory.get());
    if (it != LiveViews().end() && --it->second == 0) LiveViews().erase(it);
    delete owner;
  });
  return py::array_t<float>(shape, data, base);
}

std::vector<int> ShapeFromArgs(const py::args& args) {
  std::vector<int> shape;
  // blob.reshape(2, 3) and blob.reshape((2, 3)) both work.
  py::sequence dims = args;
  if (args.size() == 1 && py::isinstance<py::sequence>(args[0])) dims = args[0];
  for (py::handle dim : dims) {
    const long value = py::cast<long>(dim);
    if (value < 0 || value > INT32_MAX) {
      throw py::value_error("A blob dimension must be between 0 and 2^31-1, not " +
                            std::to_string(value) + ".");
    }
    shape.push_back(static_cast<int>(value));
  }
  if (shape.size() > kMaxBlobAxes) {
    throw py::value_error("A blob has at most " + std::to_string(kMaxBlobAxes) + " axes.");
  }
  return shape;
}

void ReshapeChecked(Blob& blob, const std::vector<int>& shape) {
  long long count = 1;
  for (int dim : shape) count *= dim;
  if (count > INT32_MAX) throw py::value_error("A blob holds at most 2^31-1 values.");
  blob.Reshape(shape);
}

Blob& BlobAt(const LayerBlobs& list, long index) {
  const long size = static_cast<long>(list.layer->blobs().size());
  if (index < 0) index += size;
  if (index < 0 || index >= size) throw py::index_error("layer blob index out of range");
  return *list.layer->blobs()[index];
}

void BindLayerBlobs(py::module_& m) {
  py::class_<LayerBlobs>(m, "LayerBlobs",
                         "A layer's parameter blobs: a list that add_blob() grows.")
      .def("__len__", [](const LayerBlobs& l) { return l.layer->blobs().size(); })
      .def("__getitem__", [](const LayerBlobs& l, long i) {
             const long size = static_cast<long>(l.layer->blobs().size());
             BlobAt(l, i);  // range check
             return l.layer->blobs()[i < 0 ? i + size : i];
           })
      .def("__iter__", [](const LayerBlobs& l) {
             return py::iter(py::cast(l.layer->blobs()));
           })
      .def("add_blob", [](LayerBlobs& l, py::args args) {
             auto blob = std::make_shared<Blob>();
             ReshapeChecked(*blob, ShapeFromArgs(args));
             l.layer->blobs().push_back(blob);
             return blob;
           }, "Appends a new blob of the given shape (zeros) and returns it.")
      .def("__repr__", [](const LayerBlobs& l) {
             std::string text = "[";
             for (size_t i = 0; i < l.layer->blobs().size(); ++i) {
               text += (i ? ", " : "") + std::string("Blob(") +
                       l.layer->blobs()[i]->shape_string() + ")";
             }
             return text + "]";
           });
}

}  // namespace

void AssumeViewsWritten() {
  for (const auto& entry : LiveViews()) {
    // Plain values that an array may have changed since: an engine's form
    // kept beside them, and any copy made from them (bf16 or int8 weights),
    // are stale from now on.
    if (entry.first->holds() != SyncedMemory::Holds::kEngine) entry.first->mutable_cpu_data();
  }
}

void BindBlob(py::module_& m) {
  py::class_<Blob, std::shared_ptr<Blob>>(m, "Blob",
      "An N-D float32 array and its gradient. `data` and `diff` are numpy views of "
      "the blob's own memory (writing them writes the blob); they stay valid until "
      "the blob is reshaped to hold more values than before.")
      .def(py::init([](py::args args) {
             auto blob = std::make_shared<Blob>();
             ReshapeChecked(*blob, ShapeFromArgs(args));
             return blob;
           }))
      .def_property_readonly("shape", [](const Blob& b) {
             return py::tuple(py::cast(b.shape()));
           })
      .def_property_readonly("num", &Blob::num)
      .def_property_readonly("channels", &Blob::channels)
      .def_property_readonly("height", &Blob::height)
      .def_property_readonly("width", &Blob::width)
      .def_property_readonly("count", [](const Blob& b) { return b.count(); })
      .def_property_readonly("data", [](const Blob& b) { return View(b, b.data()); })
      .def_property_readonly("diff", [](const Blob& b) { return View(b, b.diff()); })
      .def("reshape", [](Blob& b, py::args args) { ReshapeChecked(b, ShapeFromArgs(args)); },
           "Changes the shape: blob.reshape(n, c, h, w) or blob.reshape(shape).")
      .def("__repr__", [](const Blob& b) { return "Blob(" + b.shape_string() + ")"; });
  BindLayerBlobs(m);
}

}  // namespace python
}  // namespace crema
