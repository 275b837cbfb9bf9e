// Internal to the ONNX importer: the state a node's converter sees.
#ifndef CREMA_ONNX_ONNX_IMPORT_HPP_
#define CREMA_ONNX_ONNX_IMPORT_HPP_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "crema/net.hpp"
#include "crema/proto/crema.pb.h"
#include "crema/proto/onnx.pb.h"

namespace crema {
namespace onnx_import {

// An initializer or Constant node's value, as floats and as integers.
struct Constant {
  std::vector<int64_t> dims;
  std::vector<float> floats;
  std::vector<int64_t> ints;
  int64_t count() const { return static_cast<int64_t>(floats.size()); }
};

Constant ReadTensor(const onnx::TensorProto& tensor);

// Builds `net` (TEST phase) without copying its layers' weights.
std::unique_ptr<Net> BuildWithoutWeights(NetParameter* net);

// The net being built.
struct Graph {
  NetParameter* net;
  int opset = 13;
  std::map<std::string, Constant> constants;
  std::map<std::string, std::string> aliases;  // value -> the blob that holds it
  std::set<std::string> layer_names;
  // Pad nodes waiting for the AveragePool that reads them: output -> (the
  // padded blob, the pads).
  std::map<std::string, std::pair<std::string, std::vector<int64_t>>> pending_pads;
  // The shape crema gives `blob` in the net built so far.
  std::vector<int> ShapeOf(const std::string& blob) const;
};

// One node being converted.
class NodeContext {
 public:
  NodeContext(const onnx::NodeProto& node, Graph* graph) : node_(node), graph_(graph) {}
  const onnx::NodeProto& node() const { return node_; }
  Graph* graph() { return graph_; }
  int opset() const { return graph_->opset; }

  std::string Describe() const;
  [[noreturn]] void Refuse(const std::string& why) const;

  int num_inputs() const { return node_.input_size(); }
  bool HasInput(int i) const { return i < node_.input_size() && !node_.input(i).empty(); }
  // The blob holding data input i (refused when it is a constant).
  std::string Blob(int i) const;
  // Constant input i, or null when it is computed.
  const Constant* Const(int i) const;
  // Constant input i; refused (naming `what`) when it is computed.
  const Constant& RequireConst(int i, const std::string& what) const;
  const std::string& Output(int i) const { return node_.output(i); }
  // The output i is `blob` under another name (Identity, Dropout).
  void Alias(int i, const std::string& blob) { graph_->aliases[node_.output(i)] = blob; }

  bool Has(const std::string& attr) const { return Find(attr) != nullptr; }
  int64_t Int(const std::string& attr, int64_t fallback) const;
  float Float(const std::string& attr, float fallback) const;
  std::string String(const std::string& attr, const std::string& fallback) const;
  std::vector<int64_t> Ints(const std::string& attr, const std::vector<int64_t>& fallback) const;

  // Adds a layer named after the node (suffix appended when given).
  LayerParameter* AddLayer(const std::string& type, const std::vector<std::string>& bottoms,
                           const std::vector<std::string>& tops, const std::string& suffix = "");

 private:
  const onnx::AttributeProto* Find(const std::string& attr) const;
  const onnx::NodeProto& node_;
  Graph* graph_;
};

// Appends a parameter blob of the given shape to `layer`.
void AddBlob(LayerParameter* layer, const std::vector<int64_t>& dims,
             const std::vector<float>& data);

using OpConverter = std::function<void(NodeContext* ctx)>;
const std::map<std::string, OpConverter>& OpConverters();

}  // namespace onnx_import
}  // namespace crema

#endif  // CREMA_ONNX_ONNX_IMPORT_HPP_
