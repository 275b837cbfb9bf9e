// The ONNX exporter's driver: names the values, walks the layers through
// their converters (export_layers.cpp) and writes the model.
#include <cstring>

#include "crema/io/proto_io.hpp"
#include "crema/onnx/onnx.hpp"
#include "onnx_export.hpp"

namespace crema {
namespace onnx_export {

std::string GraphWriter::UniqueName(const std::string& base) {
  std::string name = base;
  for (int i = 1; used_.count(name); ++i) name = StrCat(base, "_", i);
  used_.insert(name);
  return name;
}

onnx::NodeProto* GraphWriter::AddNode(const std::string& op_type, const std::string& name,
                                      const std::vector<std::string>& inputs,
                                      const std::vector<std::string>& outputs) {
  onnx::NodeProto* node = graph_->add_node();
  node->set_op_type(op_type);
  node->set_name(name);
  for (const auto& in : inputs) node->add_input(in);
  for (const auto& out : outputs) node->add_output(out);
  return node;
}

std::string GraphWriter::AddFloats(const std::string& base, const std::vector<int64_t>& dims,
                                   const float* data) {
  onnx::TensorProto* tensor = graph_->add_initializer();
  tensor->set_name(UniqueName(base));
  tensor->set_data_type(onnx::TensorProto::FLOAT);
  int64_t count = 1;
  for (int64_t d : dims) {
    tensor->add_dims(d);
    count *= d;
  }
  // float32 is little-endian on every machine crema builds for.
  tensor->set_raw_data(std::string(reinterpret_cast<const char*>(data), count * sizeof(float)));
  return tensor->name();
}

std::string GraphWriter::AddInt64s(const std::string& base, const std::vector<int64_t>& values) {
  onnx::TensorProto* tensor = graph_->add_initializer();
  tensor->set_name(UniqueName(base));
  tensor->set_data_type(onnx::TensorProto::INT64);
  tensor->add_dims(static_cast<int64_t>(values.size()));
  for (int64_t v : values) tensor->add_int64_data(v);
  return tensor->name();
}

std::string LayerContext::Describe() const {
  return StrCat("layer '", param.name(), "' (", param.type(), ")");
}

void LayerContext::Refuse(const std::string& why) const {
  Throw("ONNX export: ", Describe(), " cannot be written in ONNX: ", why);
}

const Blob& LayerContext::Weight(int i) const {
  if (i >= static_cast<int>(layer.blobs().size())) {
    Throw("ONNX export: ", Describe(), " has ", layer.blobs().size(), " parameter blob(s); blob ",
          i, " is needed.");
  }
  return *layer.blobs()[i];
}

void SetInt(onnx::NodeProto* node, const std::string& name, int64_t value) {
  onnx::AttributeProto* a = node->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(value);
}

void SetFloat(onnx::NodeProto* node, const std::string& name, float value) {
  onnx::AttributeProto* a = node->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::FLOAT);
  a->set_f(value);
}

void SetInts(onnx::NodeProto* node, const std::string& name, const std::vector<int64_t>& values) {
  onnx::AttributeProto* a = node->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (int64_t v : values) a->add_ints(v);
}

void SetString(onnx::NodeProto* node, const std::string& name, const std::string& value) {
  onnx::AttributeProto* a = node->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::STRING);
  a->set_s(value);
}

std::vector<int64_t> Dims(const std::vector<int>& shape) {
  return std::vector<int64_t>(shape.begin(), shape.end());
}

namespace {

void SetValueInfo(const std::string& name, const std::vector<int>& shape,
                  onnx::ValueInfoProto* info) {
  info->set_name(name);
  onnx::TypeProto::Tensor* type = info->mutable_type()->mutable_tensor_type();
  type->set_elem_type(onnx::TensorProto::FLOAT);
  for (int d : shape) type->mutable_shape()->add_dim()->set_dim_value(d);
}

// For every layer's tops, the ONNX value names. Each Caffe blob's last
// write keeps the blob's own name (so outputs and final values read as in
// Caffe); earlier writes of an in-place chain get "blob/layer".
std::vector<std::vector<std::string>> NameTops(const Net& net, GraphWriter* writer) {
  std::map<std::string, std::pair<int, int>> last_write;
  for (int i = 0; i < net.num_layers(); ++i) {
    for (size_t j = 0; j < net.top_ids(i).size(); ++j) {
      last_write[net.blob_names()[net.top_ids(i)[j]]] = {i, static_cast<int>(j)};
    }
  }
  for (const auto& entry : last_write) writer->Reserve(entry.first);
  std::vector<std::vector<std::string>> names(net.num_layers());
  for (int i = 0; i < net.num_layers(); ++i) {
    for (size_t j = 0; j < net.top_ids(i).size(); ++j) {
      const std::string& blob = net.blob_names()[net.top_ids(i)[j]];
      const bool last = last_write[blob] == std::make_pair(i, static_cast<int>(j));
      names[i].push_back(last ? blob : writer->UniqueName(blob + "/" + net.layer_names()[i]));
    }
  }
  return names;
}

void WriteGraph(const Net& net, const OnnxExportOptions& options, onnx::GraphProto* graph) {
  GraphWriter writer(graph, options.opset);
  const auto top_names = NameTops(net, &writer);
  std::map<std::string, std::string> current;  // Caffe blob -> ONNX value
  const auto& converters = LayerConverters();
  for (int i = 0; i < net.num_layers(); ++i) {
    Layer& layer = *net.layers()[i];
    LayerContext ctx{net,
                     i,
                     layer,
                     layer.layer_param(),
                     net.bottom_vecs()[i],
                     net.top_vecs()[i],
                     {},
                     top_names[i],
                     &writer,
                     &options,
                     &top_names};
    for (int id : net.bottom_ids(i)) ctx.inputs.push_back(current.at(net.blob_names()[id]));
    auto it = converters.find(ctx.param.type());
    if (it == converters.end()) {
      ctx.Refuse(
          "crema has no ONNX form for this layer type (docs/onnx.md "
          "lists the ones it has).");
    }
    const int absorbed = it->second(&ctx);
    for (size_t j = 0; j < ctx.outputs.size(); ++j) {
      current[net.blob_names()[net.top_ids(i)[j]]] = ctx.outputs[j];
    }
    for (int k = 1; k <= absorbed; ++k) {  // absorbed layers' tops are ours
      for (size_t j = 0; j < net.top_ids(i + k).size(); ++j) {
        current[net.blob_names()[net.top_ids(i + k)[j]]] = ctx.outputs[j];
      }
    }
    i += absorbed;
  }
  for (size_t k = 0; k < net.output_blob_indices().size(); ++k) {
    const std::string& blob = net.blob_names()[net.output_blob_indices()[k]];
    std::string value = current.at(blob);
    if (value != blob) {  // an aliased or absorbed last write
      writer.AddNode("Identity", blob + "/output", {value}, {blob});
      value = blob;
    }
    SetValueInfo(value, net.output_blobs()[k]->shape(), graph->add_output());
  }
}

}  // namespace
}  // namespace onnx_export

void ExportOnnx(const Net& net, const OnnxExportOptions& options, onnx::ModelProto* model) {
  if (options.opset < kOnnxMinExportOpset || options.opset > kOnnxMaxExportOpset) {
    Throw("ONNX export: opset ", options.opset, " is not supported; crema writes opsets ",
          kOnnxMinExportOpset, " to ", kOnnxMaxExportOpset, ".");
  }
  model->Clear();
  // IR version 7 came with opset 12, 8 with opset 15.
  model->set_ir_version(options.opset >= 15 ? 8 : 7);
  model->set_producer_name("crema");
  model->set_producer_version("0.1.0");
  onnx::OperatorSetIdProto* opset = model->add_opset_import();
  opset->set_domain("");
  opset->set_version(options.opset);
  onnx::GraphProto* graph = model->mutable_graph();
  graph->set_name(net.name().empty() ? "crema" : net.name());
  onnx_export::WriteGraph(net, options, graph);
}

void ExportOnnxFile(const std::string& model_file, const std::string& weights_file,
                    const std::string& onnx_file, const OnnxExportOptions& options) {
  Net net(model_file, TEST);
  if (!weights_file.empty()) net.CopyTrainedLayersFrom(weights_file);
  onnx::ModelProto model;
  ExportOnnx(net, options, &model);
  WriteOnnxModel(model, onnx_file);
}

void ReadOnnxModel(const std::string& path, onnx::ModelProto* model) {
  if (!FileExists(path)) Throw("File not found: ", path);
  if (!model->ParseFromString(ReadFileToString(path))) {
    Throw("Cannot parse ", path, " as an ONNX model (a binary ModelProto).");
  }
}

void WriteOnnxModel(const onnx::ModelProto& model, const std::string& path) {
  std::string bytes;
  if (!model.SerializeToString(&bytes)) {
    Throw("Cannot serialize the ONNX model for ", path, " (protobuf limits a message to 2 GB).");
  }
  WriteFileAtomically(bytes, path);
}

}  // namespace crema
