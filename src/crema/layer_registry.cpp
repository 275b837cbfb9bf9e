#include "crema/layer_registry.hpp"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <set>

namespace crema {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

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

// The engine override and the lock that guards it.
struct Override {
  std::mutex mutex;
  std::string engine;
};

Override& EngineOverrideState() {
  static auto* state = new Override();
  return *state;
}

// The engine `message` names in its `engine` enum field, or "" when it has
// no such field or leaves it at DEFAULT (0), as Caffe's Engine enums do.
std::string EngineOf(const Message& message) {
  const FieldDescriptor* field = message.GetDescriptor()->FindFieldByName("engine");
  if (!field || field->cpp_type() != FieldDescriptor::CPPTYPE_ENUM ||
      field->is_repeated()) {
    return "";
  }
  const auto* reflection = message.GetReflection();
  if (!reflection->HasField(message, field)) return "";
  const auto* value = reflection->GetEnum(message, field);
  return value->number() == 0 ? "" : value->name();
}

// The engine a layer of this type gets when its parameters name none.
const std::string& DefaultEngine(const std::map<std::string, Entry>& engines) {
  {
    Override& state = EngineOverrideState();
    std::lock_guard<std::mutex> lock(state.mutex);
    auto e = engines.find(state.engine);
    if (e != engines.end()) return e->first;
  }
  auto best = engines.begin();
  for (auto e = engines.begin(); e != engines.end(); ++e) {
    if (e->second.priority > best->second.priority) best = e;
  }
  return best->first;
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
  std::vector<const FieldDescriptor*> fields;
  param.GetReflection()->ListFields(param, &fields);
  std::string engine, source;
  for (const FieldDescriptor* field : fields) {
    if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE || field->is_repeated()) {
      continue;
    }
    const std::string named = EngineOf(param.GetReflection()->GetMessage(param, field));
    if (named.empty() || named == engine) continue;
    if (!engine.empty()) {
      Throw("Layer '", param.name(), "' (", param.type(), ") asks for engine ", engine,
            " in ", source, " but for engine ", named, " in ", field->name(),
            "; name one engine.");
    }
    engine = named;
    source = field->name();
  }
  return engine;
}

std::shared_ptr<Layer> LayerRegistry::Create(const LayerParameter& param) {
  auto& registry = Registry();
  auto it = registry.find(param.type());
  if (it == registry.end()) {
    Throw("Unknown layer type '", param.type(), "' (layer '", param.name(),
          "'). Known types: ", JoinNames(Types()), ".");
  }
  const auto& engines = it->second;
  std::string engine = RequestedEngine(param);
  if (engine.empty()) {
    engine = DefaultEngine(engines);
  } else if (engines.count(engine) == 0) {
    Throw("Layer '", param.name(), "' asks for engine ", engine, " for type ",
          param.type(), ", which this build of crema does not have. Built engines: ",
          JoinNames(Engines(param.type())), ".");
  }
  std::shared_ptr<Layer> layer = engines.at(engine).creator(param);
  layer->engine_ = engine;
  return layer;
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

std::vector<std::string> LayerRegistry::AllEngines() {
  std::set<std::string> names;
  for (const auto& [type, engines] : Registry()) {
    for (const auto& [name, entry] : engines) names.insert(name);
  }
  return std::vector<std::string>(names.begin(), names.end());
}

void LayerRegistry::SetEngineOverride(const std::string& engine) {
  const std::vector<std::string> known = AllEngines();
  if (!engine.empty() && std::find(known.begin(), known.end(), engine) == known.end()) {
    Throw("There is no engine '", engine, "' in this build of crema. Built engines: ",
          JoinNames(known), ".");
  }
  Override& state = EngineOverrideState();
  std::lock_guard<std::mutex> lock(state.mutex);
  state.engine = engine;
}

std::string LayerRegistry::EngineOverride() {
  Override& state = EngineOverrideState();
  std::lock_guard<std::mutex> lock(state.mutex);
  return state.engine;
}

}  // namespace crema
