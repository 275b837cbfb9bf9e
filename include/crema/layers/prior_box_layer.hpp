// PriorBox (SSD fork): the default boxes of one feature map. bottom[0] is
// the feature map (its H x W cells), bottom[1] the image (its size, unless
// img_size / img_h / img_w say otherwise). Each cell gets, in this order:
// for each min_size s, a square s x s, then (with max_size m) a square
// sqrt(s m), then for each aspect ratio r != 1 a box s sqrt(r) x s / sqrt(r);
// flip adds 1/r for every r. Centres sit at ((w + offset) step_w,
// (h + offset) step_h), step defaulting to image size / map size. top is
// 1 x 2 x (H W priors 4): channel 0 the boxes (xmin, ymin, xmax, ymax
// normalised to the image; clip keeps them in [0, 1]), channel 1 their four
// variances (one given value repeated, four values, or 0.1 by default).
#ifndef CREMA_LAYERS_PRIOR_BOX_LAYER_HPP_
#define CREMA_LAYERS_PRIOR_BOX_LAYER_HPP_

#include <vector>

#include "crema/layer.hpp"

namespace crema {

class PriorBoxLayer : public Layer {
 public:
  explicit PriorBoxLayer(const LayerParameter& param) : Layer(param) {}
  void LayerSetUp(const std::vector<Blob*>& bottom,
                  const std::vector<Blob*>& top) override;
  void Reshape(const std::vector<Blob*>& bottom,
               const std::vector<Blob*>& top) override;
  const char* type() const override { return "PriorBox"; }
  int ExactNumBottomBlobs() const override { return 2; }
  int ExactNumTopBlobs() const override { return 1; }
  bool AllowForceBackward(int bottom_index) const override { return false; }
  int num_priors() const { return num_priors_; }

 protected:
  void Forward_cpu(const std::vector<Blob*>& bottom,
                   const std::vector<Blob*>& top) override;
  // The priors do not depend on the bottoms' values: zero gradients.
  void Backward_cpu(const std::vector<Blob*>& top,
                    const std::vector<bool>& propagate_down,
                    const std::vector<Blob*>& bottom) override;

 private:
  std::vector<float> min_sizes_, max_sizes_, aspect_ratios_, variance_;
  bool clip_ = false;
  int img_h_ = 0, img_w_ = 0;
  float step_h_ = 0, step_w_ = 0, offset_ = 0.5f;
  int num_priors_ = 0;
};

}  // namespace crema

#endif  // CREMA_LAYERS_PRIOR_BOX_LAYER_HPP_
