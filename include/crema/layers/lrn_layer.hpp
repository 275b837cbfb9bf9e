// LRN (local response normalization): divides each value by a power of the
// summed squares of its neighbours.
//
// ACROSS_CHANNELS: neighbours are the local_size channels centred on the
//   value's channel (clipped at the edges);
//   scale = k + alpha / local_size * sum(x^2), y = x * scale^-beta.
// WITHIN_CHANNEL: neighbours are the local_size x local_size spatial window
//   centred on the value, zero-padded by (local_size - 1) / 2;
//   scale = 1 + alpha * mean(x^2), y = x * scale^-beta. As in Caffe, the
//   constant here is 1 whatever k says.
#ifndef CREMA_LAYERS_LRN_LAYER_HPP_
#define CREMA_LAYERS_LRN_LAYER_HPP_

#include <vector>

#include "crema/layer.hpp"

namespace crema {

class LRNLayer : public Layer {
 public:
  explicit LRNLayer(const LayerParameter& param) : Layer(param) {}
  void LayerSetUp(const std::vector<Blob*>& bottom,
                  const std::vector<Blob*>& top) override;
  void Reshape(const std::vector<Blob*>& bottom,
               const std::vector<Blob*>& top) override;
  const char* type() const override { return "LRN"; }
  int ExactNumBottomBlobs() const override { return 1; }
  int ExactNumTopBlobs() const override { return 1; }

 protected:
  void Forward_cpu(const std::vector<Blob*>& bottom,
                   const std::vector<Blob*>& top) override;
  void Backward_cpu(const std::vector<Blob*>& top,
                    const std::vector<bool>& propagate_down,
                    const std::vector<Blob*>& bottom) override;

 private:
  // out[i] = sum of in[j] over the neighbourhood of i (the window is
  // symmetric, so it is also the set of j whose neighbourhood holds i).
  void NeighbourhoodSum(const float* in, float* out) const;

  bool across_channels_ = true;
  int size_ = 5;
  int pre_pad_ = 2;
  float alpha_ = 1.f, beta_ = 0.75f;
  float constant_ = 1.f;  // k across channels, 1 within a channel
  float norm_ = 5.f;      // neighbourhood size: local_size or local_size^2
  int num_ = 0, channels_ = 0, height_ = 0, width_ = 0;
  Blob scale_;  // the denominators before the power
};

}  // namespace crema

#endif  // CREMA_LAYERS_LRN_LAYER_HPP_
