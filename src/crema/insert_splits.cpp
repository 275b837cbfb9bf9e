#include "crema/insert_splits.hpp"

#include <map>
#include <utility>

#include "crema/common.hpp"

namespace crema {

using TopIndex = std::pair<int, int>;  // (layer index, top index)

std::string SplitLayerName(const std::string& layer_name,
                           const std::string& blob_name, int blob_index) {
  return StrCat(blob_name, "_", layer_name, "_", blob_index, "_split");
}

std::string SplitBlobName(const std::string& layer_name,
                          const std::string& blob_name, int blob_index,
                          int split_index) {
  return StrCat(blob_name, "_", layer_name, "_", blob_index, "_split_",
                split_index);
}

namespace {

// Who reads what: for each bottom, the top it reads; for each top, how many
// readers it has (a weighted loss counts as one) and its loss weight.
struct Readers {
  std::map<TopIndex, TopIndex> bottom_source;  // (layer, bottom) -> top
  std::map<TopIndex, int> count;               // top -> # of readers
  std::map<TopIndex, float> loss_weight;
};

Readers FindReaders(const NetParameter& param) {
  Readers readers;
  std::map<std::string, TopIndex> last_producer;  // blob name -> top
  for (int i = 0; i < param.layer_size(); ++i) {
    const LayerParameter& layer = param.layer(i);
    for (int j = 0; j < layer.bottom_size(); ++j) {
      const std::string& blob = layer.bottom(j);
      auto it = last_producer.find(blob);
      if (it == last_producer.end()) {
        Throw("Layer '", layer.name(), "' (", layer.type(), ") takes bottom blob '",
              blob, "', but no layer before it produces a top of that name. "
              "Check the spelling, the layer order, and the include/exclude "
              "rules of the layer that should produce it.");
      }
      readers.bottom_source[{i, j}] = it->second;
      ++readers.count[it->second];
    }
    for (int j = 0; j < layer.top_size(); ++j) last_producer[layer.top(j)] = {i, j};
    for (int j = 0; j < layer.loss_weight_size(); ++j) {
      readers.loss_weight[{i, j}] = layer.loss_weight(j);
      if (layer.loss_weight(j) != 0.f) ++readers.count[{i, j}];
    }
  }
  return readers;
}

// The Split layer that copies top `top_index` of `layer` to its readers; a
// loss weight on that top moves to the split's first top.
void AddSplitLayer(LayerParameter* layer, int top_index, int num_readers,
                   float loss_weight, NetParameter* out) {
  const std::string& blob = layer->top(top_index);
  LayerParameter* split = out->add_layer();
  split->set_name(SplitLayerName(layer->name(), blob, top_index));
  split->set_type("Split");
  split->add_bottom(blob);
  for (int k = 0; k < num_readers; ++k) {
    split->add_top(SplitBlobName(layer->name(), blob, top_index, k));
    if (loss_weight != 0.f) split->add_loss_weight(k == 0 ? loss_weight : 0.f);
  }
  if (loss_weight != 0.f) layer->clear_loss_weight();
}

}  // namespace

NetParameter InsertSplits(const NetParameter& param) {
  Readers readers = FindReaders(param);
  std::map<TopIndex, int> next_split_index;
  NetParameter out(param);
  out.clear_layer();
  for (int i = 0; i < param.layer_size(); ++i) {
    LayerParameter* layer = out.add_layer();
    *layer = param.layer(i);
    for (int j = 0; j < layer->bottom_size(); ++j) {
      const TopIndex source = readers.bottom_source[{i, j}];
      if (readers.count[source] > 1) {
        const std::string& producer = param.layer(source.first).name();
        layer->set_bottom(j, SplitBlobName(producer, layer->bottom(j), source.second,
                                           next_split_index[source]++));
      }
    }
    for (int j = 0; j < layer->top_size(); ++j) {
      const int num_readers = readers.count[{i, j}];
      if (num_readers <= 1) continue;
      const float loss_weight = readers.loss_weight[{i, j}];
      AddSplitLayer(layer, j, num_readers, loss_weight, &out);
      // The split's first top, which carries the loss, is taken.
      if (loss_weight != 0.f) ++next_split_index[{i, j}];
    }
  }
  return out;
}

}  // namespace crema
