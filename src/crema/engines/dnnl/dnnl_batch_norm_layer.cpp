// BatchNorm on oneDNN: Caffe's BatchNorm (no scale or shift; a Scale layer
// follows) is oneDNN's batch normalization without its scale-shift. The
// statistics, the running sums and their checks are the reference layer's.
//
// Training normalizes with the batch's mean and biased variance, which
// oneDNN computes and returns; the running sums are then updated as the
// reference does. Since BatchNorm usually runs in place (and the Scale and
// ReLU after it too), the input is kept for the backward pass. With global
// statistics the backward pass is dy / std, which the reference computes.
#include <cmath>
#include <cstring>

#include "crema/layer_registry.hpp"
#include "crema/layers/batch_norm_layer.hpp"
#include "dnnl_common.hpp"

namespace crema {
namespace dnnl_engine {
namespace {

class DnnlBatchNormLayer : public BatchNormLayer {
 public:
  explicit DnnlBatchNormLayer(const LayerParameter& param) : BatchNormLayer(param) {}

  void Reshape(const std::vector<Blob*>& bottom, const std::vector<Blob*>& top) override {
    BatchNormLayer::Reshape(bottom, top);
    const std::vector<int> key = {num_, channels_, spatial_dim_, use_global_stats_};
    if (key == built_) return;
    built_ = key;
    // N x C x (everything after the channel axis), as one spatial axis.
    data_md_ = PlainDesc({num_, channels_, spatial_dim_, 1}, tag::nchw);
    const auto flags = use_global_stats_ ? dnnl::normalization_flags::use_global_stats
                                         : dnnl::normalization_flags::none;
    const auto prop = use_global_stats_ ? dnnl::prop_kind::forward_inference
                                        : dnnl::prop_kind::forward_training;
    dnnl::batch_normalization_forward::primitive_desc fwd_pd(
        dnnl::batch_normalization_forward::desc(prop, data_md_, eps_, flags), CpuEngine());
    fwd_ = dnnl::batch_normalization_forward(fwd_pd);
    mean_mem_ = dnnl::memory(fwd_pd.mean_desc(), CpuEngine());
    variance_mem_ = dnnl::memory(fwd_pd.variance_desc(), CpuEngine());
    if (!use_global_stats_) {
      dnnl::batch_normalization_backward::desc bwd_desc(
          dnnl::prop_kind::backward_data, data_md_, data_md_, eps_, flags);
      bwd_ = dnnl::batch_normalization_backward(
          dnnl::batch_normalization_backward::primitive_desc(bwd_desc, CpuEngine(), fwd_pd));
      input_.resize(bottom[0]->count());
    } else {
      input_.clear();
      input_.shrink_to_fit();
    }
  }

 protected:
  void Forward_cpu(const std::vector<Blob*>& bottom, const std::vector<Blob*>& top) override {
    float* mean = static_cast<float*>(mean_mem_.get_data_handle());
    float* variance = static_cast<float*>(variance_mem_.get_data_handle());
    const float* x = bottom[0]->cpu_data();
    if (use_global_stats_) {
      const float stored = blobs_[2]->cpu_data()[0];
      const float factor = stored == 0.f ? 0.f : 1.f / stored;
      for (int c = 0; c < channels_; ++c) {
        mean[c] = factor * blobs_[0]->cpu_data()[c];
        variance[c] = factor * blobs_[1]->cpu_data()[c];
      }
    } else {
      std::memcpy(input_.data(), x, input_.size() * sizeof(float));
      x = input_.data();
    }
    fwd_.execute(CpuStream(), {{DNNL_ARG_SRC, Wrap(data_md_, x)},
                               {DNNL_ARG_DST, Wrap(data_md_, top[0]->mutable_cpu_data())},
                               {DNNL_ARG_MEAN, mean_mem_},
                               {DNNL_ARG_VARIANCE, variance_mem_}});
    if (!use_global_stats_) UpdateRunningStats(mean, variance, num_ * spatial_dim_);
    for (int c = 0; c < channels_; ++c) {
      mean_[c] = mean[c];
      std_[c] = std::sqrt(variance[c] + eps_);
    }
  }

  void Backward_cpu(const std::vector<Blob*>& top, const std::vector<bool>& propagate_down,
                    const std::vector<Blob*>& bottom) override {
    if (!propagate_down[0]) return;
    if (use_global_stats_) return BatchNormLayer::Backward_cpu(top, propagate_down, bottom);
    ScratchScope scratch;
    const float* top_diff = top[0]->cpu_diff();
    if (bottom[0] == top[0]) {
      // In place: give the primitive a copy of dy to read.
      float* copy = static_cast<float*>(
          ScratchPool::ThisThread().Take(top[0]->count() * sizeof(float)));
      std::memcpy(copy, top_diff, top[0]->count() * sizeof(float));
      top_diff = copy;
    }
    bwd_.execute(CpuStream(), {{DNNL_ARG_SRC, Wrap(data_md_, input_.data())},
                               {DNNL_ARG_MEAN, mean_mem_},
                               {DNNL_ARG_VARIANCE, variance_mem_},
                               {DNNL_ARG_DIFF_DST, Wrap(data_md_, top_diff)},
                               {DNNL_ARG_DIFF_SRC,
                                Wrap(data_md_, bottom[0]->mutable_cpu_diff())}});
  }

 private:

  std::vector<int> built_;
  dnnl::memory::desc data_md_;
  dnnl::batch_normalization_forward fwd_;
  dnnl::batch_normalization_backward bwd_;
  dnnl::memory mean_mem_, variance_mem_;
  std::vector<float> input_;  // the input of the last training forward pass
};

}  // namespace

CREMA_REGISTER_LAYER_ENGINE("BatchNorm", "DNNL", kDnnlPriority, DnnlBatchNormLayer);

}  // namespace dnnl_engine
}  // namespace crema
