#include "crema/layer_registry.hpp"

#include <map>

namespace crema {
namespace {

struct Entry {
  int priority;
  LayerCreator creator;
};

// type -> engine -> entry. A function-local static so registration from other
// translation units' static initializers is safe.
std::map<std::string, std::map<std::string, Entry>>& Registry() {
  static auto* registry = new std::map<std::string, std::map<std::string, Entry>>();
  return *registry;
}

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + items[i];
  return out;
}

// Caffe's per-layer Engine enums: DEFAULT = 0, CAFFE = 1, CUDNN = 2.
// crema's fast engines add values of their own, named by the enum itself.
template <typename P>
std::string EngineName(const P& p) {
  if (!p.has_engine() || p.engine() == 0) return "";
  return P::Engine_Name(p.engine());
}

}  // namespace

void LayerRegistry::Add(const std::string& type, const std::string& engine,
                        int priority, LayerCreator creator) {
  auto& engines = Registry()[type];
  CHECK(engines.count(engine) == 0)
      << "Layer type " << type << " with engine " << engine
      << " is registered twice.";
  engines[engine] = Entry{priority, std::move(creator)};
}

std::string LayerRegistry::RequestedEngine(const LayerParameter& param) {
  const std::string& type = param.type();
  if (type == "Convolution" || type == "Deconvolution") {
    return EngineName(param.convolution_param());
  }
  if (type == "Pooling") return EngineName(param.pooling_param());
  if (type == "ReLU") return EngineName(param.relu_param());
  if (type == "Sigmoid") return EngineName(param.sigmoid_param());
  if (type == "TanH") return EngineName(param.tanh_param());
  if (type == "Softmax" || type == "SoftmaxWithLoss") {
    return EngineName(param.softmax_param());
  }
  if (type == "LRN") return EngineName(param.lrn_param());
  if (type == "InnerProduct") return EngineName(param.inner_product_param());
  if (type == "SPP") return EngineName(param.spp_param());
  if (type == "BatchNorm") return EngineName(param.batch_norm_param());
  return "";
}

std::shared_ptr<Layer> LayerRegistry::Create(const LayerParameter& param) {
  auto& registry = Registry();
  auto it = registry.find(param.type());
  if (it == registry.end()) {
    Throw("Unknown layer type '", param.type(), "' (layer '", param.name(),
          "'). Known types: ", Join(Types()), ".");
  }
  const auto& engines = it->second;
  const std::string requested = RequestedEngine(param);
  const Entry* chosen = nullptr;
  if (!requested.empty()) {
    auto e = engines.find(requested);
    if (e == engines.end()) {
      Throw("Layer '", param.name(), "' asks for engine ", requested,
            " for type ", param.type(), ", which this build of crema does "
            "not have. Built engines: ", Join(Engines(param.type())), ".");
    }
    chosen = &e->second;
  } else {
    for (const auto& [name, entry] : engines) {
      if (!chosen || entry.priority > chosen->priority) chosen = &entry;
    }
  }
  return chosen->creator(param);
}

bool LayerRegistry::Has(const std::string& type) {
  return Registry().count(type) > 0;
}

std::vector<std::string> LayerRegistry::Types() {
  std::vector<std::string> types;
  for (const auto& [type, engines] : Registry()) types.push_back(type);
  return types;
}

std::vector<std::string> LayerRegistry::Engines(const std::string& type) {
  std::vector<std::string> names;
  auto it = Registry().find(type);
  if (it == Registry().end()) return names;
  for (const auto& [name, entry] : it->second) names.push_back(name);
  return names;
}

}  // namespace crema
