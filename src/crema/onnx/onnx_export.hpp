// Internal to the ONNX exporter: the state one layer's converter sees, and
// the helpers that write nodes and initializers.
#ifndef CREMA_ONNX_ONNX_EXPORT_HPP_
#define CREMA_ONNX_ONNX_EXPORT_HPP_

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "crema/blob.hpp"
#include "crema/layer.hpp"
#include "crema/net.hpp"
#include "crema/onnx/onnx.hpp"
#include "crema/proto/onnx.pb.h"

namespace crema {
namespace onnx_export {

// Writes the graph: unique value names, nodes, initializers.
class GraphWriter {
 public:
  GraphWriter(onnx::GraphProto* graph, int opset) : graph_(graph), opset_(opset) {}

  int opset() const { return opset_; }
  onnx::GraphProto* graph() { return graph_; }

  // A value name not used yet, `base` itself when it is free.
  std::string UniqueName(const std::string& base);
  // Reserves `name` (a graph input or a layer's top).
  void Reserve(const std::string& name) { used_.insert(name); }

  onnx::NodeProto* AddNode(const std::string& op_type, const std::string& name,
                           const std::vector<std::string>& inputs,
                           const std::vector<std::string>& outputs);
  // Float initializer `base` (made unique) holding the values of `data`.
  std::string AddFloats(const std::string& base, const std::vector<int64_t>& dims,
                        const float* data);
  std::string AddFloats(const std::string& base, const std::vector<int64_t>& dims,
                        const std::vector<float>& data) {
    return AddFloats(base, dims, data.data());
  }
  // A 1-D int64 initializer (shapes, split sizes, slice bounds).
  std::string AddInt64s(const std::string& base, const std::vector<int64_t>& values);

 private:
  onnx::GraphProto* graph_;
  int opset_;
  std::set<std::string> used_;
};

// One layer being converted.
struct LayerContext {
  const Net& net;
  int index;     // of the layer in net.layers()
  Layer& layer;  // not const: Layer::blobs() is not
  const LayerParameter& param;
  const std::vector<Blob*>& bottom;
  const std::vector<Blob*>& top;
  std::vector<std::string> inputs;   // the ONNX value of each bottom
  std::vector<std::string> outputs;  // the ONNX value each top must get
  GraphWriter* writer;
  const OnnxExportOptions* options;
  // The value names chosen for every layer's tops (a converter that absorbs
  // the next layer writes that layer's).
  const std::vector<std::vector<std::string>>* top_names;

  // "layer 'conv1' (Convolution)", for messages.
  std::string Describe() const;
  [[noreturn]] void Refuse(const std::string& why) const;
  // The layer's parameter blob i, with a readable error when it is missing.
  const Blob& Weight(int i) const;
  // A name for an intermediate value or node of this layer.
  std::string Temp(const std::string& suffix) const {
    return writer->UniqueName(param.name() + "/" + suffix);
  }
  // Adds a node named after the layer (suffix appended when given).
  onnx::NodeProto* Node(const std::string& op_type, const std::vector<std::string>& in,
                        const std::vector<std::string>& out, const std::string& suffix = "") const {
    return writer->AddNode(op_type, suffix.empty() ? param.name() : param.name() + "/" + suffix, in,
                           out);
  }
};

// A converter writes the nodes of ctx's layer and returns how many of the
// following layers it absorbed (BatchNorm + Scale: 1; usually 0). It may
// replace ctx->outputs[i] with an existing value (a layer that is an
// identity at inference writes no node).
using LayerConverter = std::function<int(LayerContext* ctx)>;
const std::map<std::string, LayerConverter>& LayerConverters();
// Pooling (export_pooling.cpp).
int ExportPooling(LayerContext* ctx);

// Attribute helpers.
void SetInt(onnx::NodeProto* node, const std::string& name, int64_t value);
void SetFloat(onnx::NodeProto* node, const std::string& name, float value);
void SetInts(onnx::NodeProto* node, const std::string& name, const std::vector<int64_t>& values);
void SetString(onnx::NodeProto* node, const std::string& name, const std::string& value);

std::vector<int64_t> Dims(const std::vector<int>& shape);

}  // namespace onnx_export
}  // namespace crema

#endif  // CREMA_ONNX_ONNX_EXPORT_HPP_
