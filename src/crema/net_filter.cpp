// Which layers a net keeps for its NetState (phase, level, stages), as Caffe
// decides it.
#include <algorithm>

#include "crema/net.hpp"

namespace crema {

bool Net::StateMeetsRule(const NetState& state, const NetStateRule& rule,
                         const std::string& layer_name) {
  if (rule.has_phase() && rule.phase() != state.phase()) return false;
  if (rule.has_min_level() && state.level() < rule.min_level()) return false;
  if (rule.has_max_level() && state.level() > rule.max_level()) return false;
  auto has_stage = [&state](const std::string& stage) {
    return std::find(state.stage().begin(), state.stage().end(), stage) !=
           state.stage().end();
  };
  for (const auto& stage : rule.stage()) {
    if (!has_stage(stage)) return false;
  }
  for (const auto& stage : rule.not_stage()) {
    if (has_stage(stage)) return false;
  }
  return true;
}

NetParameter Net::FilterNet(const NetParameter& param) {
  const NetState& state = param.state();
  NetParameter filtered(param);
  filtered.clear_layer();
  for (const LayerParameter& layer : param.layer()) {
    if (layer.include_size() > 0 && layer.exclude_size() > 0) {
      Throw("Layer '", layer.name(), "' has both include and exclude rules; "
            "give one kind only.");
    }
    bool included = layer.include_size() == 0;
    for (const auto& rule : layer.exclude()) {
      if (StateMeetsRule(state, rule, layer.name())) included = false;
    }
    for (const auto& rule : layer.include()) {
      if (StateMeetsRule(state, rule, layer.name())) included = true;
    }
    if (included) *filtered.add_layer() = layer;
  }
  return filtered;
}

}  // namespace crema
