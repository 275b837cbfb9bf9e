// Slice: cuts its bottom along slice_param.axis (or the legacy slice_dim)
// into its tops, at the given slice_points or, without them, into equal
// parts.
#ifndef CREMA_LAYERS_SLICE_LAYER_HPP_
#define CREMA_LAYERS_SLICE_LAYER_HPP_

#include <vector>

#include "crema/layer.hpp"

namespace crema {

class SliceLayer : public Layer {
 public:
  explicit SliceLayer(const LayerParameter& param) : Layer(param) {}
  const char* type() const override { return "Slice"; }
  void LayerSetUp(const std::vector<Blob*>& bottom,
                  const std::vector<Blob*>& top) override;
  void Reshape(const std::vector<Blob*>& bottom,
               const std::vector<Blob*>& top) override;
  int ExactNumBottomBlobs() const override { return 1; }
  int MinTopBlobs() const override { return 1; }

 protected:
  void Forward_cpu(const std::vector<Blob*>& bottom,
                   const std::vector<Blob*>& top) override;
  void Backward_cpu(const std::vector<Blob*>& top,
                    const std::vector<bool>& propagate_down,
                    const std::vector<Blob*>& bottom) override;

 private:
  int axis_ = 1;
  int num_slices_ = 0;  // product of the axes before axis_
  int inner_size_ = 0;  // product of the axes after axis_
};

}  // namespace crema

#endif  // CREMA_LAYERS_SLICE_LAYER_HPP_
