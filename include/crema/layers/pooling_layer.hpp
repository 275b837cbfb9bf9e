// Pooling: reduces each kernel_h x kernel_w window of every channel to one
// value: its maximum (MAX), its mean (AVE), a value sampled in proportion
// to its magnitude (STOCHASTIC; the probability-weighted mean in TEST) or,
// a crema addition, the square root of the sum of its squares (L2; padding
// adds nothing to the sum). global_pooling pools each whole plane to 1 x 1.
//
// Output size (Caffe's rule): ceil((in + 2 * pad - kernel) / stride) + 1
// (floor with round_mode FLOOR or ceil_mode false); with padding, a last
// window that would start at or beyond in + pad is dropped. With per-side
// padding (pad_t/pad_b/pad_l/pad_r, a crema addition) 2 * pad becomes the
// sum of both sides' pads and the bound in + pad uses the leading side.
// MAX may write a second top: the argmax of each window as the float index
// h * width + w within the input plane.
#ifndef CREMA_LAYERS_POOLING_LAYER_HPP_
#define CREMA_LAYERS_POOLING_LAYER_HPP_

#include <vector>

#include "crema/layer.hpp"

namespace crema {

class PoolingLayer : public Layer {
 public:
  explicit PoolingLayer(const LayerParameter& param) : Layer(param) {}
  void LayerSetUp(const std::vector<Blob*>& bottom,
                  const std::vector<Blob*>& top) override;
  void Reshape(const std::vector<Blob*>& bottom,
               const std::vector<Blob*>& top) override;
  const char* type() const override { return "Pooling"; }
  int ExactNumBottomBlobs() const override { return 1; }
  int MinTopBlobs() const override { return 1; }
  // MAX pooling may also output its argmax mask.
  int MaxTopBlobs() const override {
    return layer_param_.pooling_param().pool() == PoolingParameter::MAX ? 2 : 1;
  }

 protected:
  void Forward_cpu(const std::vector<Blob*>& bottom,
                   const std::vector<Blob*>& top) override;
  void Backward_cpu(const std::vector<Blob*>& top,
                    const std::vector<bool>& propagate_down,
                    const std::vector<Blob*>& bottom) override;

 private:
  // The window of output (ph, pw) clipped to the input plane.
  struct Window {
    int hstart, hend, wstart, wend;
  };
  Window InputWindow(int ph, int pw) const;
  // AVE's divisor: the window clipped to the padded bound (in + pad_end), so
  // padding inside the image's padded frame counts.
  int AveragePoolSize(int ph, int pw) const;

  void ForwardMax(const Blob& bottom, const std::vector<Blob*>& top);
  void ForwardAve(const Blob& bottom, Blob* top);
  void ForwardStochastic(const Blob& bottom, Blob* top);
  // The gradient of one AVE or TEST-phase STOCHASTIC window (output y,
  // top diff grad) added into its input plane's diff.
  void BackwardWindow(int ph, int pw, const float* in, float y, float grad,
                      float* in_diff) const;

  PoolingParameter::PoolMethod method_ = PoolingParameter::MAX;
  int kernel_h_ = 0, kernel_w_ = 0;
  int stride_h_ = 1, stride_w_ = 1;
  int pad_h_ = 0, pad_w_ = 0;  // top and left
  int pad_b_ = 0, pad_r_ = 0;  // bottom and right
  bool global_pooling_ = false;
  bool ceil_mode_ = true;
  int num_ = 0, channels_ = 0, height_ = 0, width_ = 0;
  int pooled_height_ = 0, pooled_width_ = 0;
  // Per top element: the chosen input index within its plane (MAX without a
  // mask top, STOCHASTIC in TRAIN).
  std::vector<int> max_idx_;
  std::vector<int> rand_idx_;
};

}  // namespace crema

#endif  // CREMA_LAYERS_POOLING_LAYER_HPP_
