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

NetParameter InsertSplits(const NetParameter& param) {
  std::map<std::string, TopIndex> last_producer;   // blob name -> top
  std::map<TopIndex, TopIndex> bottom_source;      // (layer, bottom) -> top
  std::map<TopIndex, int> consumer_count;          // top -> # of readers
  std::map<TopIndex, float> top_loss_weight;
  std::map<TopIndex, int> next_split_index;

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
      bottom_source[{i, j}] = it->second;
      ++consumer_count[it->second];
    }
    for (int j = 0; j < layer.top_size(); ++j) last_producer[layer.top(j)] = {i, j};
    // A weighted loss counts as one more reader of its top.
    for (int j = 0; j < layer.loss_weight_size(); ++j) {
      top_loss_weight[{i, j}] = layer.loss_weight(j);
      if (layer.loss_weight(j) != 0.f) ++consumer_count[{i, j}];
    }
  }

  NetParameter out(param);
  out.clear_layer();
  for (int i = 0; i < param.layer_size(); ++i) {
    LayerParameter* layer = out.add_layer();
    *layer = param.layer(i);
    for (int j = 0; j < layer->bottom_size(); ++j) {
      const TopIndex source = bottom_source[{i, j}];
      if (consumer_count[source] > 1) {
        const std::string& producer = param.layer(source.first).name();
        layer->set_bottom(j, SplitBlobName(producer, layer->bottom(j), source.second,
                                           next_split_index[source]++));
      }
    }
    for (int j = 0; j < layer->top_size(); ++j) {
      const int readers = consumer_count[{i, j}];
      if (readers <= 1) continue;
      const std::string& blob = layer->top(j);
      const float loss_weight = top_loss_weight[{i, j}];
      LayerParameter* split = out.add_layer();
      split->set_name(SplitLayerName(layer->name(), blob, j));
      split->set_type("Split");
      split->add_bottom(blob);
      for (int k = 0; k < readers; ++k) {
        split->add_top(SplitBlobName(layer->name(), blob, j, k));
        if (loss_weight != 0.f) split->add_loss_weight(k == 0 ? loss_weight : 0.f);
      }
      if (loss_weight != 0.f) {
        // The split's first top now carries the loss.
        layer->clear_loss_weight();
        ++next_split_index[{i, j}];
      }
    }
  }
  return out;
}

}  // namespace crema
