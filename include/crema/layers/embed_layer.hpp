// Embed: a lookup table. Each bottom value is an integer index in
// [0, input_dim); the top appends an axis of num_output holding that row of
// the K x N weight blob (plus a bias when bias_term). Indices get no gradient;
// the weights and bias do.
#ifndef CREMA_LAYERS_EMBED_LAYER_HPP_
#define CREMA_LAYERS_EMBED_LAYER_HPP_

#include <memory>
#include <vector>

#include "crema/layer.hpp"

namespace crema {

class EmbedLayer : public Layer {
 public:
  explicit EmbedLayer(const LayerParameter& param) : Layer(param) {}
  const char* type() const override { return "Embed"; }
  void LayerSetUp(const std::vector<Blob*>& bottom,
                  const std::vector<Blob*>& top) override;
  void Reshape(const std::vector<Blob*>& bottom,
               const std::vector<Blob*>& top) override;
  int ExactNumBottomBlobs() const override { return 1; }
  int ExactNumTopBlobs() const override { return 1; }
  bool AllowForceBackward(int) const override { return false; }

 protected:
  void Forward_cpu(const std::vector<Blob*>& bottom,
                   const std::vector<Blob*>& top) override;
  void Backward_cpu(const std::vector<Blob*>& top,
                    const std::vector<bool>& propagate_down,
                    const std::vector<Blob*>& bottom) override;

 private:
  // The row index at position i, checked to be an integer in range.
  int IndexAt(const float* indices, int i) const;
  int num_output_ = 0;
  int input_dim_ = 0;
  bool bias_term_ = true;
};

}  // namespace crema

#endif  // CREMA_LAYERS_EMBED_LAYER_HPP_
