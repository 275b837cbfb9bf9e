// The ONNX importer's driver: constants, graph inputs, the nodes through
// their converters (import_ops.cpp), and the files.
#include <cstring>

#include "crema/io/proto_io.hpp"
#include "crema/net.hpp"
#include "crema/onnx/onnx.hpp"
#include "onnx_import.hpp"

namespace crema {
namespace onnx_import {

namespace {

// The little-endian values of raw_data, `count` of them.
template <typename T>
std::vector<T> FromRaw(const onnx::TensorProto& t, int64_t count) {
  if (t.raw_data().size() != count * sizeof(T)) {
    Throw("ONNX import: tensor '", t.name(), "' has ", t.raw_data().size(), " bytes for ", count,
          " values of ", sizeof(T), " bytes.");
  }
  std::vector<T> values(count);
  std::memcpy(values.data(), t.raw_data().data(), t.raw_data().size());
  return values;
}

template <typename T, typename Field>
std::vector<T> FromField(const onnx::TensorProto& t, const Field& field, int64_t count) {
  if (field.size() != count) {
    Throw("ONNX import: tensor '", t.name(), "' has ", field.size(), " values for ", count, ".");
  }
  return std::vector<T>(field.begin(), field.end());
}

}  // namespace

Constant ReadTensor(const onnx::TensorProto& t) {
  Constant c;
  int64_t count = 1;
  for (int64_t d : t.dims()) {
    c.dims.push_back(d);
    count *= d;
  }
  if (t.data_location() == onnx::TensorProto::EXTERNAL) {
    Throw("ONNX import: tensor '", t.name(),
          "' keeps its data in an external file, which crema "
          "does not read; save the model with its weights inside.");
  }
  const bool raw = t.has_raw_data();
  switch (t.data_type()) {
    case onnx::TensorProto::FLOAT:
      c.floats = raw ? FromRaw<float>(t, count) : FromField<float>(t, t.float_data(), count);
      break;
    case onnx::TensorProto::DOUBLE: {
      const auto v = raw ? FromRaw<double>(t, count) : FromField<double>(t, t.double_data(), count);
      c.floats.assign(v.begin(), v.end());
      break;
    }
    case onnx::TensorProto::INT64:
      c.ints = raw ? FromRaw<int64_t>(t, count) : FromField<int64_t>(t, t.int64_data(), count);
      break;
    case onnx::TensorProto::INT32: {
      const auto v =
          raw ? FromRaw<int32_t>(t, count) : FromField<int32_t>(t, t.int32_data(), count);
      c.ints.assign(v.begin(), v.end());
      break;
    }
    default:
      Throw("ONNX import: tensor '", t.name(), "' has data type ", t.data_type(),
            "; crema reads float, double, int32 and int64 tensors.");
  }
  if (c.floats.empty()) c.floats.assign(c.ints.begin(), c.ints.end());
  if (c.ints.empty()) c.ints.assign(c.floats.begin(), c.floats.end());
  return c;
}

std::vector<int> Graph::ShapeOf(const std::string& blob) const {
  return BuildWithoutWeights(net)->blob_by_name(blob)->shape();
}

std::unique_ptr<Net> BuildWithoutWeights(NetParameter* net) {
  // The weights are set aside (swapped, not copied) while the net builds.
  std::vector<google::protobuf::RepeatedPtrField<BlobProto>> weights(net->layer_size());
  for (int i = 0; i < net->layer_size(); ++i) weights[i].Swap(net->mutable_layer(i)->mutable_blobs());
  const bool had_state = net->has_state();
  net->mutable_state()->set_phase(TEST);
  std::unique_ptr<Net> built;
  std::exception_ptr error;
  try {
    built = std::make_unique<Net>(*net);
  } catch (...) {
    error = std::current_exception();
  }
  if (!had_state) net->clear_state();
  for (int i = 0; i < net->layer_size(); ++i) weights[i].Swap(net->mutable_layer(i)->mutable_blobs());
  if (error) std::rethrow_exception(error);
  return built;
}

std::string NodeContext::Describe() const {
  return StrCat("node '", node_.name(), "' (", node_.op_type(), ")");
}

void NodeContext::Refuse(const std::string& why) const {
  Throw("ONNX import: ", Describe(), " cannot be written as crema layers: ", why);
}

std::string NodeContext::Blob(int i) const {
  if (!HasInput(i)) Refuse(StrCat("input ", i, " is missing."));
  const std::string& value = node_.input(i);
  if (graph_->constants.count(value)) {
    Refuse(StrCat("input ", i, " ('", value, "') is a constant where crema needs computed data."));
  }
  if (graph_->pending_pads.count(value)) {
    Refuse(StrCat("input ", i, " ('", value,
                  "') comes from a Pad node, which crema reads only "
                  "in front of an AveragePool."));
  }
  auto it = graph_->aliases.find(value);
  return it == graph_->aliases.end() ? value : it->second;
}

const Constant* NodeContext::Const(int i) const {
  if (!HasInput(i)) return nullptr;
  auto it = graph_->constants.find(node_.input(i));
  return it == graph_->constants.end() ? nullptr : &it->second;
}

const Constant& NodeContext::RequireConst(int i, const std::string& what) const {
  const Constant* c = Const(i);
  if (!c) Refuse(StrCat(what, " (input ", i, ") must be a constant (an initializer)."));
  return *c;
}

const onnx::AttributeProto* NodeContext::Find(const std::string& attr) const {
  for (const auto& a : node_.attribute()) {
    if (a.name() == attr) return &a;
  }
  return nullptr;
}

int64_t NodeContext::Int(const std::string& attr, int64_t fallback) const {
  const auto* a = Find(attr);
  return a ? a->i() : fallback;
}

float NodeContext::Float(const std::string& attr, float fallback) const {
  const auto* a = Find(attr);
  return a ? a->f() : fallback;
}

std::string NodeContext::String(const std::string& attr, const std::string& fallback) const {
  const auto* a = Find(attr);
  return a ? a->s() : fallback;
}

std::vector<int64_t> NodeContext::Ints(const std::string& attr,
                                       const std::vector<int64_t>& fallback) const {
  const auto* a = Find(attr);
  return a ? std::vector<int64_t>(a->ints().begin(), a->ints().end()) : fallback;
}

LayerParameter* NodeContext::AddLayer(const std::string& type,
                                      const std::vector<std::string>& bottoms,
                                      const std::vector<std::string>& tops,
                                      const std::string& suffix) {
  std::string base = node_.name().empty() ? node_.output(0) : node_.name();
  if (!suffix.empty()) base += "/" + suffix;
  std::string name = base;
  for (int i = 1; graph_->layer_names.count(name); ++i) name = StrCat(base, "_", i);
  graph_->layer_names.insert(name);
  LayerParameter* layer = graph_->net->add_layer();
  layer->set_name(name);
  layer->set_type(type);
  for (const auto& b : bottoms) layer->add_bottom(b);
  for (const auto& t : tops) layer->add_top(t);
  return layer;
}

void AddBlob(LayerParameter* layer, const std::vector<int64_t>& dims,
             const std::vector<float>& data) {
  BlobProto* blob = layer->add_blobs();
  for (int64_t d : dims) blob->mutable_shape()->add_dim(d);
  blob->mutable_data()->Add(data.begin(), data.end());
}

namespace {

void AddInput(const onnx::ValueInfoProto& input, Graph* graph) {
  LayerParameter* layer = graph->net->add_layer();
  layer->set_name(input.name());
  graph->layer_names.insert(input.name());
  layer->set_type("Input");
  layer->add_top(input.name());
  BlobShape* shape = layer->mutable_input_param()->add_shape();
  const auto& dims = input.type().tensor_type().shape().dim();
  if (dims.empty()) Throw("ONNX import: graph input '", input.name(), "' has no shape.");
  for (const auto& d : dims) {
    // A named (free) dimension, such as the batch, becomes 1.
    shape->add_dim(d.has_dim_value() && d.dim_value() > 0 ? d.dim_value() : 1);
  }
}

int DefaultOpset(const onnx::ModelProto& model) {
  for (const auto& o : model.opset_import()) {
    if (o.domain().empty() || o.domain() == "ai.onnx") return static_cast<int>(o.version());
  }
  return 1;
}

void ConvertNode(const onnx::NodeProto& node, Graph* graph) {
  NodeContext ctx(node, graph);
  if (!node.domain().empty() && node.domain() != "ai.onnx") {
    ctx.Refuse("it belongs to operator domain '" + node.domain() + "', which crema does not read.");
  }
  if (node.op_type() == "Constant") {
    if (!ctx.Has("value")) ctx.Refuse("only Constant nodes with a 'value' tensor are read.");
    for (const auto& a : node.attribute()) {
      if (a.name() == "value") graph->constants[node.output(0)] = ReadTensor(a.t());
    }
    return;
  }
  const auto& converters = OpConverters();
  auto it = converters.find(node.op_type());
  if (it == converters.end()) {
    ctx.Refuse(
        "crema has no layer for this operator (docs/onnx.md lists the "
        "ones it reads).");
  }
  it->second(&ctx);
}

}  // namespace
}  // namespace onnx_import

void ImportOnnx(const onnx::ModelProto& model, NetParameter* net) {
  net->Clear();
  const onnx::GraphProto& g = model.graph();
  net->set_name(g.name());
  onnx_import::Graph graph;
  graph.net = net;
  graph.opset = onnx_import::DefaultOpset(model);
  for (const auto& t : g.initializer()) graph.constants[t.name()] = onnx_import::ReadTensor(t);
  for (const auto& input : g.input()) {
    if (!graph.constants.count(input.name())) onnx_import::AddInput(input, &graph);
  }
  for (const auto& node : g.node()) onnx_import::ConvertNode(node, &graph);
}

void ImportOnnxFile(const std::string& onnx_file, const std::string& prototxt_file,
                    const std::string& weights_file) {
  onnx::ModelProto model;
  ReadOnnxModel(onnx_file, &model);
  NetParameter net;
  ImportOnnx(model, &net);
  onnx_import::BuildWithoutWeights(&net);  // throws, naming the layer, when it does not build
  if (!weights_file.empty()) WriteProtoToBinaryFile(net, weights_file);
  for (auto& layer : *net.mutable_layer()) layer.clear_blobs();
  WriteProtoToTextFile(net, prototxt_file);
}

}  // namespace crema
