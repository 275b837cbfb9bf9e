// The layer registry maps a layer type ("Convolution") and an engine
// ("CAFFE", the reference; fast engines add their own) to a factory.
// A layer's parameter may name an engine explicitly (the `engine` field of
// its *_param message); otherwise the engine override is used where the
// type has it, else the registered engine with the highest priority.
#ifndef CREMA_LAYER_REGISTRY_HPP_
#define CREMA_LAYER_REGISTRY_HPP_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "crema/layer.hpp"

namespace crema {

using LayerCreator = std::function<std::shared_ptr<Layer>(const LayerParameter&)>;

class LayerRegistry {
 public:
  static constexpr const char* kReferenceEngine = "CAFFE";

  static void Add(const std::string& type, const std::string& engine,
                  int priority, LayerCreator creator);
  // Builds the layer param asks for. An unknown type is an error listing the
  // known types; an engine that is not built is an error listing the built ones.
  static std::shared_ptr<Layer> Create(const LayerParameter& param);

  static bool Has(const std::string& type);
  static std::vector<std::string> Types();
  static std::vector<std::string> Engines(const std::string& type);
  // Every engine registered for at least one type.
  static std::vector<std::string> AllEngines();
  // The engine named in param ("" for the default choice): the `engine`
  // field of any of its *_param messages, found by reflection; its enum
  // value's name is the engine's name, DEFAULT (0) names none. Two
  // messages naming different engines are an error.
  static std::string RequestedEngine(const LayerParameter& param);

  // Layers whose parameters name no engine are built with `engine` where
  // their type has it ("" restores the default choice). An engine that no
  // type has is an error listing the registered ones.
  static void SetEngineOverride(const std::string& engine);
  static std::string EngineOverride();
};

// Sets the engine override for its lifetime and restores the previous one.
class ScopedEngineOverride {
 public:
  explicit ScopedEngineOverride(const std::string& engine)
      : previous_(LayerRegistry::EngineOverride()) {
    LayerRegistry::SetEngineOverride(engine);
  }
  ~ScopedEngineOverride() { LayerRegistry::SetEngineOverride(previous_); }
  ScopedEngineOverride(const ScopedEngineOverride&) = delete;
  ScopedEngineOverride& operator=(const ScopedEngineOverride&) = delete;

 private:
  std::string previous_;
};

struct LayerRegisterer {
  LayerRegisterer(const char* type, const char* engine, int priority,
                  LayerCreator creator) {
    LayerRegistry::Add(type, engine, priority, std::move(creator));
  }
};

#define CREMA_CONCAT_INNER_(a, b) a##b
#define CREMA_CONCAT_(a, b) CREMA_CONCAT_INNER_(a, b)

// Registers Class (constructible from a LayerParameter) for `type` with an
// engine and a priority; the highest priority wins when none is requested.
#define CREMA_REGISTER_LAYER_ENGINE(type, engine, priority, Class)          \
  static ::crema::LayerRegisterer CREMA_CONCAT_(g_crema_layer_, __LINE__)( \
      type, engine, priority, [](const ::crema::LayerParameter& p) {       \
        return std::shared_ptr<::crema::Layer>(new Class(p));              \
      })

// Registers the reference (CAFFE engine) implementation of a layer type.
#define CREMA_REGISTER_LAYER(type, Class) \
  CREMA_REGISTER_LAYER_ENGINE(type, "CAFFE", 0, Class)

}  // namespace crema

#endif  // CREMA_LAYER_REGISTRY_HPP_
