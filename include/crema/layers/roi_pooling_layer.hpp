// ROIPooling (Fast R-CNN; a crema addition to Caffe's layers): max pooling
// of each region of interest to a fixed pooled_h x pooled_w grid.
//
// bottom[0]: feature map N x C x H x W. bottom[1]: R regions, R x 5 (or
// R x 5 x 1 x 1): batch index, x1, y1, x2, y2 in input-image pixels
// (inclusive corners). top: R x C x pooled_h x pooled_w.
//
// Fast R-CNN's rules: each corner is scaled by spatial_scale and rounded
// (half away from zero); the region spans max(x2 - x1 + 1, 1) by
// max(y2 - y1 + 1, 1) feature cells; bin (ph, pw) covers rows
// [floor(ph * bin_h), ceil((ph + 1) * bin_h)) (bin_h = height / pooled_h)
// shifted by y1 and clipped to the map, and likewise for columns. Parts of
// a region outside the map are clipped away; a bin left empty outputs 0.
// A batch index outside [0, N) is an error. Backward routes each output's
// gradient to the input cell it took its maximum from; rois get none.
#ifndef CREMA_LAYERS_ROI_POOLING_LAYER_HPP_
#define CREMA_LAYERS_ROI_POOLING_LAYER_HPP_

#include <vector>

#include "crema/layer.hpp"

namespace crema {

class ROIPoolingLayer : public Layer {
 public:
  explicit ROIPoolingLayer(const LayerParameter& param) : Layer(param) {}
  void LayerSetUp(const std::vector<Blob*>& bottom,
                  const std::vector<Blob*>& top) override;
  void Reshape(const std::vector<Blob*>& bottom,
               const std::vector<Blob*>& top) override;
  const char* type() const override { return "ROIPooling"; }
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
  int pooled_h_ = 0, pooled_w_ = 0;
  float spatial_scale_ = 1.f;
  int channels_ = 0, height_ = 0, width_ = 0;
  // Per top element: the chosen index h * W + w in its input plane, or -1.
  std::vector<int> argmax_;
};

}  // namespace crema

#endif  // CREMA_LAYERS_ROI_POOLING_LAYER_HPP_
