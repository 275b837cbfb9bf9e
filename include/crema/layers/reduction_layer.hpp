// Reduction: reduces all axes from reduction_param.axis on (default 0: to a
// scalar) with SUM, ASUM (sum of |x|), SUMSQ (sum of x^2) or MEAN, times
// reduction_param.coeff. Top shape: the bottom's axes before axis.
#ifndef CREMA_LAYERS_REDUCTION_LAYER_HPP_
#define CREMA_LAYERS_REDUCTION_LAYER_HPP_

#include <vector>

#include "crema/layer.hpp"

namespace crema {

class ReductionLayer : public Layer {
 public:
  explicit ReductionLayer(const LayerParameter& param) : Layer(param) {}
  const char* type() const override { return "Reduction"; }
  void LayerSetUp(const std::vector<Blob*>& bottom,
                  const std::vector<Blob*>& top) override;
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
  ReductionParameter::ReductionOp op_ = ReductionParameter::SUM;
  float coeff_ = 1.f;
  int axis_ = 0;
  int num_ = 0;
  int dim_ = 0;
};

}  // namespace crema

#endif  // CREMA_LAYERS_REDUCTION_LAYER_HPP_
