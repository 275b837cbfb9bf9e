// Weights in and out of a net: copying trained layers from a .caffemodel,
// sharing them with another net, and writing them back.
#include <set>
#include <string>

#include "crema/io/proto_io.hpp"
#include "crema/io/upgrade_proto.hpp"
#include "crema/net.hpp"

namespace crema {

void Net::CopyTrainedLayersFrom(const NetParameter& param) {
  std::set<std::string> copied;
  for (const LayerParameter& source : param.layer()) {
    auto it = layer_names_index_.find(source.name());
    if (it == layer_names_index_.end()) {
      LOG(INFO) << "Ignoring source layer " << source.name()
                << " (not in the net).";
      continue;
    }
    auto& target_blobs = layers_[it->second]->blobs();
    if (target_blobs.size() != static_cast<size_t>(source.blobs_size())) {
      // Layers without weights (ReLU, Data...) carry none in either place.
      if (source.blobs_size() == 0) continue;
      Throw("Cannot copy weights into layer '", source.name(), "': the file has ",
            source.blobs_size(), " blob(s) for it but the net's layer has ",
            target_blobs.size(), ".");
    }
    for (int j = 0; j < source.blobs_size(); ++j) {
      if (!target_blobs[j]->ShapeEquals(source.blobs(j))) {
        Throw("Cannot copy weights into layer '", source.name(), "', blob ", j,
              ": the file's shape is ", ShapeString(BlobProtoShape(source.blobs(j))),
              " but the net's is ", target_blobs[j]->shape_string(),
              ". To learn this layer from scratch instead, rename it.");
      }
      // The file's values replace any form an engine keeps of the old ones.
      if (target_blobs[j]->data()) target_blobs[j]->data()->discard_values();
      target_blobs[j]->FromProto(source.blobs(j), false);
    }
    if (source.blobs_size() > 0) {
      LOG(INFO) << "Copying weights of layer " << source.name();
      copied.insert(source.name());
    }
  }
  for (int i = 0; i < num_layers(); ++i) {
    if (!layers_[i]->blobs().empty() && !copied.count(layer_names_[i])) {
      LOG(INFO) << "Layer " << layer_names_[i]
                << " is not in the weights; it keeps its initial values.";
    }
  }
}

void Net::CopyTrainedLayersFrom(const NetParameter& param, const std::string& source) {
  std::set<std::string> in_file;
  for (const LayerParameter& layer : param.layer()) {
    if (layer.blobs_size() > 0) in_file.insert(layer.name());
  }
  int with_params = 0, matched = 0;
  for (int i = 0; i < num_layers(); ++i) {
    if (layers_[i]->blobs().empty()) continue;
    ++with_params;
    if (in_file.count(layer_names_[i])) ++matched;
  }
  if (with_params > 0 && param.layer_size() == 0) {
    Throw("The weights file '", source, "' holds no layers; it is empty or not a "
          ".caffemodel.");
  }
  if (with_params > 0 && matched == 0) {
    std::vector<std::string> names(in_file.begin(), in_file.end());
    Throw("The weights file '", source, "' holds weights for none of the ", with_params,
          " layers with parameters of net '", name_, "' (the file's layers with weights: ",
          names.empty() ? std::string("none") : JoinNames(names),
          "); it looks like the weights of another net.");
  }
  try {
    CopyTrainedLayersFrom(param);
  } catch (const Error& e) {
    Throw("While loading the weights file '", source, "': ", e.what());
  }
}

void Net::CopyTrainedLayersFrom(const std::string& path) {
  if (!FileExists(path)) Throw("The weights file '", path, "' does not exist.");
  NetParameter param;
  ReadNetParamsFromFile(path, &param);
  CopyTrainedLayersFrom(param, path);
}

void Net::ShareTrainedLayersWith(const Net& other) {
  for (int i = 0; i < other.num_layers(); ++i) {
    const std::string& source_name = other.layer_names()[i];
    auto it = layer_names_index_.find(source_name);
    if (it == layer_names_index_.end()) continue;
    auto& target_blobs = layers_[it->second]->blobs();
    const auto& source_blobs = other.layers()[i]->blobs();
    if (target_blobs.size() != source_blobs.size()) {
      Throw("Layer '", source_name, "' has ", source_blobs.size(),
            " parameter blobs in one net and ", target_blobs.size(), " in the other.");
    }
    for (size_t j = 0; j < target_blobs.size(); ++j) {
      if (target_blobs[j]->shape() != source_blobs[j]->shape()) {
        Throw("Layer '", source_name, "', blob ", j, " has shape ",
              source_blobs[j]->shape_string(), " in one net and ",
              target_blobs[j]->shape_string(), " in the other.");
      }
      target_blobs[j]->ShareData(*source_blobs[j]);
    }
  }
}

void Net::ToProto(NetParameter* param, bool write_diff) const {
  param->Clear();
  param->set_name(name_);
  for (const auto& layer : layers_) layer->ToProto(param->add_layer(), write_diff);
}

}  // namespace crema
