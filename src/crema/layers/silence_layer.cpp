#include "crema/layers/silence_layer.hpp"

#include "crema/layer_registry.hpp"
#include "crema/math/math_functions.hpp"

namespace crema {

void SilenceLayer::Backward_cpu(const std::vector<Blob*>& top,
                                const std::vector<bool>& propagate_down,
                                const std::vector<Blob*>& bottom) {
  for (size_t i = 0; i < bottom.size(); ++i) {
    if (propagate_down[i]) cpu_zero(bottom[i]->count(), bottom[i]->mutable_cpu_diff());
  }
}

CREMA_REGISTER_LAYER("Silence", SilenceLayer);

}  // namespace crema
