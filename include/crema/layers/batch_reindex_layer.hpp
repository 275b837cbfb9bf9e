// BatchReindex: top[i] = bottom[0][bottom[1][i]] along the first axis;
// bottom[1] is a 1-D blob of item indices (repeats and omissions allowed).
// Gradients sum over repeated indices; the indices get none.
#ifndef CREMA_LAYERS_BATCH_REINDEX_LAYER_HPP_
#define CREMA_LAYERS_BATCH_REINDEX_LAYER_HPP_

#include <vector>

#include "crema/layer.hpp"

namespace crema {

class BatchReindexLayer : public Layer {
 public:
  explicit BatchReindexLayer(const LayerParameter& param) : Layer(param) {}
  const char* type() const override { return "BatchReindex"; }
  void Reshape(const std::vector<Blob*>& bottom,
               const std::vector<Blob*>& top) override;
  int ExactNumBottomBlobs() const override { return 2; }
  int ExactNumTopBlobs() const override { return 1; }
  bool AllowForceBackward(int bottom_index) const override {
    return bottom_index == 0;
  }

 protected:
  void Forward_cpu(const std::vector<Blob*>& bottom,
                   const std::vector<Blob*>& top) override;
  void Backward_cpu(const std::vector<Blob*>& top,
                    const std::vector<bool>& propagate_down,
                    const std::vector<Blob*>& bottom) override;

 private:
  // The index at position i of bottom[1], checked against the batch size.
  int IndexAt(const std::vector<Blob*>& bottom, int i) const;
};

}  // namespace crema

#endif  // CREMA_LAYERS_BATCH_REINDEX_LAYER_HPP_
