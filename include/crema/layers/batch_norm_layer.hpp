// BatchNorm: normalizes each channel (axis 1) to zero mean and unit variance,
// using the batch's statistics while training and the stored running
// statistics when use_global_stats is true (the default in the TEST phase).
//
// The three blobs are Caffe's: blobs_[0] = running sum of means,
// blobs_[1] = running sum of variances, blobs_[2] = a one-element scale
// factor; the statistics are blobs_[0] / blobs_[2] and blobs_[1] / blobs_[2].
// They are updated in the forward pass, never by the solver (lr_mult 0).
// A learned scale and shift come from a following Scale layer.
#ifndef CREMA_LAYERS_BATCH_NORM_LAYER_HPP_
#define CREMA_LAYERS_BATCH_NORM_LAYER_HPP_

#include <vector>

#include "crema/layer.hpp"

namespace crema {

class BatchNormLayer : public Layer {
 public:
  explicit BatchNormLayer(const LayerParameter& param) : Layer(param) {}
  const char* type() const override { return "BatchNorm"; }
  void LayerSetUp(const std::vector<Blob*>& bottom,
                  const std::vector<Blob*>& top) override;
  void Reshape(const std::vector<Blob*>& bottom,
               const std::vector<Blob*>& top) override;
  int ExactNumBottomBlobs() const override { return 1; }
  int ExactNumTopBlobs() const override { return 1; }

 protected:
  void Forward_cpu(const std::vector<Blob*>& bottom,
                   const std::vector<Blob*>& top) override;
  void Backward_cpu(const std::vector<Blob*>& top,
                    const std::vector<bool>& propagate_down,
                    const std::vector<Blob*>& bottom) override;

  // Folds one batch's per-channel mean and (biased) variance over m values
  // into the running sums, as Caffe does.
  void UpdateRunningStats(const float* mean, const float* variance, int m);

  bool use_global_stats_ = false;
  float moving_average_fraction_ = 0.999f;
  float eps_ = 1e-5f;
  int channels_ = 0;
  int num_ = 0;           // shape(0)
  int spatial_dim_ = 0;   // product of the axes after the channel axis
  std::vector<float> mean_;     // per channel, of the last forward pass
  std::vector<float> std_;      // per channel: sqrt(variance + eps)
  std::vector<float> x_norm_;   // normalized output (kept for in-place backward)
  std::vector<float> top_diff_; // copy of the top diff when in place
};

}  // namespace crema

#endif  // CREMA_LAYERS_BATCH_NORM_LAYER_HPP_
