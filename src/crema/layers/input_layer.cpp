#include "crema/layers/input_layer.hpp"

#include "crema/layer_registry.hpp"

namespace crema {

void InputLayer::LayerSetUp(const std::vector<Blob*>& bottom,
                            const std::vector<Blob*>& top) {
  const InputParameter& param = layer_param_.input_param();
  const int num_top = static_cast<int>(top.size());
  const int num_shape = param.shape_size();
  if (num_shape != 0 && num_shape != 1 && num_shape != num_top) {
    Fail("input_param has ", num_shape, " shapes for ", num_top,
         " tops; give one shape for all tops, one per top, or none.");
  }
  if (num_shape == 0) return;
  for (int i = 0; i < num_top; ++i) {
    top[i]->Reshape(param.shape(num_shape == 1 ? 0 : i));
  }
}

CREMA_REGISTER_LAYER("Input", InputLayer);

}  // namespace crema
