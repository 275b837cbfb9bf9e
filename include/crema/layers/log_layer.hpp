// Log: y = log_base(shift + scale * x); base -1 (the default) means e.
// Works in place.
#ifndef CREMA_LAYERS_LOG_LAYER_HPP_
#define CREMA_LAYERS_LOG_LAYER_HPP_

#include <vector>

#include "crema/layer.hpp"

namespace crema {

class LogLayer : public NeuronLayer {
 public:
  explicit LogLayer(const LayerParameter& param) : NeuronLayer(param) {}
  const char* type() const override { return "Log"; }
  void LayerSetUp(const std::vector<Blob*>& bottom,
                  const std::vector<Blob*>& top) override;

 protected:
  void Forward_cpu(const std::vector<Blob*>& bottom,
                   const std::vector<Blob*>& top) override;
  void Backward_cpu(const std::vector<Blob*>& top,
                    const std::vector<bool>& propagate_down,
                    const std::vector<Blob*>& bottom) override;

 private:
  float base_scale_ = 1.f;
  float input_scale_ = 1.f;
  float input_shift_ = 0.f;
  Blob bottom_copy_;
    // the input, kept when working in place;
};

}  // namespace crema

#endif  // CREMA_LAYERS_LOG_LAYER_HPP_
