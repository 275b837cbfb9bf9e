// MVN: mean-variance normalization. Subtracts the mean of each channel of
// each item (of each item when mvn_param.across_channels) and, when
// mvn_param.normalize_variance (the default), divides by the standard
// deviation plus mvn_param.eps.
#ifndef CREMA_LAYERS_MVN_LAYER_HPP_
#define CREMA_LAYERS_MVN_LAYER_HPP_

#include <vector>

#include "crema/layer.hpp"

namespace crema {

class MVNLayer : public Layer {
 public:
  explicit MVNLayer(const LayerParameter& param) : Layer(param) {}
  const char* type() const override { return "MVN"; }
  void Reshape(const std::vector<Blob*>& bottom,
               const std::vector<Blob*>& top) override;
  int ExactNumBottomBlobs() const override { return 1; }
  int ExactNumTopBlobs() const override { return 1; }

 protected:
  void Forward_cpu(const std::vector<Blob*>& bottom,
                   const std::vector<Blob*>& top) override;
  void Backward_cpu(const std::vector<Blob*>& top,
                    const std::vector<bool>& propagate_down,
                    const std::vector<Blob*>& bottom) override;

 private:
  // Rows normalized independently and the length of each.
  int rows_ = 0;
  int dim_ = 0;
  std::vector<float> std_;  // per row: sqrt(variance) + eps
};

}  // namespace crema

#endif  // CREMA_LAYERS_MVN_LAYER_HPP_
