// SPP: spatial pyramid pooling (He et al.), as Caffe builds it from
// Pooling layers. Level l = 0 .. pyramid_height - 1 pools each channel of
// an H x W bottom into 2^l x 2^l bins with kernel ceil(H / 2^l), stride
// equal to the kernel and pad (kernel * 2^l - H + 1) / 2 (likewise for W),
// using spp_param.pool. The top is N x (C * sum of 4^l): each level's
// C x bins x bins values in turn. With pyramid_height 1 the top is the
// N x C x 1 x 1 pooling output itself, as in Caffe.
#ifndef CREMA_LAYERS_SPP_LAYER_HPP_
#define CREMA_LAYERS_SPP_LAYER_HPP_

#include <memory>
#include <vector>

#include "crema/blob.hpp"
#include "crema/layer.hpp"

namespace crema {

class SPPLayer : public Layer {
 public:
  explicit SPPLayer(const LayerParameter& param) : Layer(param) {}
  void LayerSetUp(const std::vector<Blob*>& bottom,
                  const std::vector<Blob*>& top) override;
  void Reshape(const std::vector<Blob*>& bottom,
               const std::vector<Blob*>& top) override;
  const char* type() const override { return "SPP"; }
  int ExactNumBottomBlobs() const override { return 1; }
  int ExactNumTopBlobs() const override { return 1; }

 protected:
  void Forward_cpu(const std::vector<Blob*>& bottom,
                   const std::vector<Blob*>& top) override;
  void Backward_cpu(const std::vector<Blob*>& top,
                    const std::vector<bool>& propagate_down,
                    const std::vector<Blob*>& bottom) override;

 private:
  // (Re)builds one pooling layer per level for the bottom's H x W.
  void BuildLevels(const Blob& bottom);

  int pyramid_height_ = 0;
  int height_ = -1, width_ = -1;
  std::vector<std::shared_ptr<Layer>> levels_;
  std::vector<std::unique_ptr<Blob>> pooled_;  // each level's output
  Blob bottom_view_;  // shares the bottom's data; collects one level's diff
};

}  // namespace crema

#endif  // CREMA_LAYERS_SPP_LAYER_HPP_
