// Upsample (SegNet-style unpooling; a crema addition to Caffe's layers):
// puts each pooled value back at the position its max pooling took it from.
//
// bottom[0]: pooled values N x C x h x w; bottom[1]: the mask, the second
// top of a MAX Pooling layer (same shape; each entry the index y * W + x in
// the unpooled plane). top: N x C x H x W, zero except at the mask's
// positions. H x W is upsample_h x upsample_w when given, else
// h * scale_h - pad_out_h by w * scale_w - pad_out_w (scale_h and scale_w
// default to scale; pad_out_* subtract 1 to undo the extra row or column
// a ceil-mode pooling of an odd size added). Backward reads each value's
// gradient back from its position; the mask gets none.
#ifndef CREMA_LAYERS_UPSAMPLE_LAYER_HPP_
#define CREMA_LAYERS_UPSAMPLE_LAYER_HPP_

#include <vector>

#include "crema/layer.hpp"

namespace crema {

class UpsampleLayer : public Layer {
 public:
  explicit UpsampleLayer(const LayerParameter& param) : Layer(param) {}
  void LayerSetUp(const std::vector<Blob*>& bottom,
                  const std::vector<Blob*>& top) override;
  void Reshape(const std::vector<Blob*>& bottom,
               const std::vector<Blob*>& top) override;
  const char* type() const override { return "Upsample"; }
  int ExactNumBottomBlobs() const override { return 2; }
  int ExactNumTopBlobs() const override { return 1; }
  bool AllowForceBackward(int bottom_index) const override {
    return bottom_index != 1;
  }

 protected:
  void Forward_cpu(const std::vector<Blob*>& bottom,
                   const std::vector<Blob*>& top) override;
  void Backward_cpu(const std::vector<Blob*>& top,
                    const std::vector<bool>& propagate_down,
                    const std::vector<Blob*>& bottom) override;

 private:
  bool fixed_size_ = false;  // upsample_h / upsample_w given
  int scale_h_ = 2, scale_w_ = 2;
  int pad_out_h_ = 0, pad_out_w_ = 0;
  int out_h_ = 0, out_w_ = 0;
};

}  // namespace crema

#endif  // CREMA_LAYERS_UPSAMPLE_LAYER_HPP_
