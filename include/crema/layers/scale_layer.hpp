// Scale: multiplies bottom[0] by a scale broadcast over it, optionally adding
// a bias (bias_term). The scale is bottom[1] when given, else a learned blob
// whose shape is bottom[0]'s axes [axis, axis + num_axes) (num_axes -1:
// through the last axis), filled by scale_param.filler (default constant 1).
// The bias has the scale's shape and is filled by bias_filler (default 0).
//
// Blob layout, as in Caffe: with a learned scale, blobs_[0] = scale and
// blobs_[1] = bias; with the scale as bottom[1], blobs_[0] = bias.
// Caffe computes the bias with an inner Bias layer; here it is done directly,
// with the same result. Works in place.
#ifndef CREMA_LAYERS_SCALE_LAYER_HPP_
#define CREMA_LAYERS_SCALE_LAYER_HPP_

#include <vector>

#include "crema/layer.hpp"

namespace crema {

class ScaleLayer : public Layer {
 public:
  explicit ScaleLayer(const LayerParameter& param) : Layer(param) {}
  const char* type() const override { return "Scale"; }
  void LayerSetUp(const std::vector<Blob*>& bottom,
                  const std::vector<Blob*>& top) override;
  void Reshape(const std::vector<Blob*>& bottom,
               const std::vector<Blob*>& top) override;
  int MinBottomBlobs() const override { return 1; }
  int MaxBottomBlobs() const override { return 2; }
  int ExactNumTopBlobs() const override { return 1; }

 protected:
  void Forward_cpu(const std::vector<Blob*>& bottom,
                   const std::vector<Blob*>& top) override;
  void Backward_cpu(const std::vector<Blob*>& top,
                    const std::vector<bool>& propagate_down,
                    const std::vector<Blob*>& bottom) override;

 private:
  // The shape of the scale (and bias): bottom[1]'s, or the axes of bottom[0]
  // that axis and num_axes select.
  std::vector<int> ParamShape(const std::vector<Blob*>& bottom) const;
  const Blob& scale(const std::vector<Blob*>& bottom) const {
    return bottom.size() > 1 ? *bottom[1] : *blobs_[0];
  }

  int bias_param_id_ = -1;  // index of the bias in blobs_, -1 without bias
  int outer_dim_ = 0;       // product of bottom[0]'s axes before the scale's
  int scale_dim_ = 0;       // number of scale values
  int inner_dim_ = 0;       // product of bottom[0]'s axes after the scale's
  Blob bottom_copy_;        // in place: the input, needed for the scale diff
};

}  // namespace crema

#endif  // CREMA_LAYERS_SCALE_LAYER_HPP_
