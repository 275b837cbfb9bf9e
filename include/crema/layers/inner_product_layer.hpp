// InnerProduct (fully connected): flattens the bottom from `axis` on into
// K values per row (M rows = the count before axis) and computes
// top = bottom * W^T + b, with N = num_output columns.
// Weight: N x K, or K x N when transpose is true; bias: N.
#ifndef CREMA_LAYERS_INNER_PRODUCT_LAYER_HPP_
#define CREMA_LAYERS_INNER_PRODUCT_LAYER_HPP_

#include <vector>

#include "crema/layer.hpp"

namespace crema {

class InnerProductLayer : public Layer {
 public:
  explicit InnerProductLayer(const LayerParameter& param) : Layer(param) {}
  void LayerSetUp(const std::vector<Blob*>& bottom,
                  const std::vector<Blob*>& top) override;
  void Reshape(const std::vector<Blob*>& bottom,
               const std::vector<Blob*>& top) override;
  const char* type() const override { return "InnerProduct"; }
  int ExactNumBottomBlobs() const override { return 1; }
  int ExactNumTopBlobs() const override { return 1; }

 protected:
  // weight_diff = top_diff^T * bottom_data (+ beta * weight_diff; beta 0 or
  // 1), in the blob's orientation: BLAS here, an engine's own where faster.
  virtual void WeightGradient(const float* top_diff, const float* bottom_data, float beta,
                              float* weight_diff);
  void Forward_cpu(const std::vector<Blob*>& bottom,
                   const std::vector<Blob*>& top) override;
  void Backward_cpu(const std::vector<Blob*>& top,
                    const std::vector<bool>& propagate_down,
                    const std::vector<Blob*>& bottom) override;

 private:
  int M_ = 0;  // rows: bottom count before axis
  int K_ = 0;  // inputs per row: bottom count from axis
  int N_ = 0;  // num_output
  int axis_ = 1;
  bool bias_term_ = true;
  bool transpose_ = false;
  Blob bias_multiplier_;  // M ones
};

}  // namespace crema

#endif  // CREMA_LAYERS_INNER_PRODUCT_LAYER_HPP_
