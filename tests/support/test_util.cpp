#include "support/test_util.hpp"

#include <sys/stat.h>

#include "crema/layer_registry.hpp"

namespace crema {
namespace testing {

std::vector<std::string> EnginesUnderTest() { return {"", LayerRegistry::kReferenceEngine}; }

LayerParameter WithEngine(LayerParameter param, const std::string& engine) {
  if (engine.empty()) return param;
  const std::string& type = param.type();
  std::string field;
  if (type == "Convolution" || type == "Deconvolution") {
    field = "convolution_param";
  } else if (type == "InnerProduct") {
    field = "inner_product_param";
  } else if (type == "Pooling") {
    field = "pooling_param";
  } else if (type == "LRN") {
    field = "lrn_param";
  } else if (type == "ReLU") {
    field = "relu_param";
  } else if (type == "Sigmoid") {
    field = "sigmoid_param";
  } else if (type == "TanH") {
    field = "tanh_param";
  } else {
    Throw("WithEngine does not know the engine field of layer type '", type, "'.");
  }
  param.MergeFrom(ParseText<LayerParameter>(field + " { engine: " + engine + " }"));
  if (LayerRegistry::RequestedEngine(param) != engine) {
    Throw("Setting engine ", engine, " on a ", type, " layer did not take.");
  }
  return param;
}

std::string SharedPath(const std::string& relative) {
  const std::string path = std::string(CREMA_SOURCE_DIR) + "/../shared/" + relative;
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? path : "";
}

}  // namespace testing
}  // namespace crema
