// Im2col: rearranges image patches into columns, as a convolution does
// before its matrix product (see math/im2col.hpp), using
// convolution_param's kernel, stride, pad, dilation and axis. A bottom
// N x C x spatial... becomes N x (C * prod(kernel)) x output spatial...;
// Backward sums each column entry's gradient back into its pixel.
#ifndef CREMA_LAYERS_IM2COL_LAYER_HPP_
#define CREMA_LAYERS_IM2COL_LAYER_HPP_

#include <vector>

#include "crema/layer.hpp"

namespace crema {

class Im2colLayer : public Layer {
 public:
  explicit Im2colLayer(const LayerParameter& param) : Layer(param) {}
  void LayerSetUp(const std::vector<Blob*>& bottom,
                  const std::vector<Blob*>& top) override;
  void Reshape(const std::vector<Blob*>& bottom,
               const std::vector<Blob*>& top) override;
  const char* type() const override { return "Im2col"; }
  int ExactNumBottomBlobs() const override { return 1; }
  int ExactNumTopBlobs() const override { return 1; }

 protected:
  void Forward_cpu(const std::vector<Blob*>& bottom,
                   const std::vector<Blob*>& top) override;
  void Backward_cpu(const std::vector<Blob*>& top,
                    const std::vector<bool>& propagate_down,
                    const std::vector<Blob*>& bottom) override;

 private:
  // Per spatial axis.
  std::vector<int> kernel_shape_, stride_, pad_, dilation_;
  std::vector<int> im_shape_;  // the bottom's spatial shape
  int channel_axis_ = 1;
  int num_spatial_axes_ = 0;
  int num_ = 0, channels_ = 0;
  int bottom_dim_ = 0, top_dim_ = 0;
  bool force_nd_im2col_ = false;
};

}  // namespace crema

#endif  // CREMA_LAYERS_IM2COL_LAYER_HPP_
