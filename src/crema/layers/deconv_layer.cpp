#include "crema/layers/deconv_layer.hpp"

#include "crema/layer_registry.hpp"

namespace crema {

void DeconvolutionLayer::compute_output_shape() {
  output_shape_.clear();
  for (int i = 0; i < num_spatial_axes_; ++i) {
    const int kernel_extent = dilation_[i] * (kernel_shape_[i] - 1) + 1;
    output_shape_.push_back(stride_[i] * (input_shape(i) - 1) + kernel_extent -
                            pad_[i] - pad_end_[i]);
  }
}

// Forward is Convolution's input gradient; Backward uses Convolution's
// forward for the bottom diff and swaps the roles in the weight gradient.
void DeconvolutionLayer::Forward_cpu(const std::vector<Blob*>& bottom,
                                     const std::vector<Blob*>& top) {
  const float* weight = blobs_[0]->cpu_data();
  for (size_t i = 0; i < bottom.size(); ++i) {
    const float* bottom_data = bottom[i]->cpu_data();
    float* top_data = top[i]->mutable_cpu_data();
    for (int n = 0; n < num_; ++n) {
      backward_cpu_gemm(bottom_data + n * bottom_dim_, weight,
                        top_data + n * top_dim_);
      if (bias_term_) {
        forward_cpu_bias(top_data + n * top_dim_, blobs_[1]->cpu_data());
      }
    }
  }
}

void DeconvolutionLayer::Backward_cpu(const std::vector<Blob*>& top,
                                      const std::vector<bool>& propagate_down,
                                      const std::vector<Blob*>& bottom) {
  const float* weight = blobs_[0]->cpu_data();
  for (size_t i = 0; i < top.size(); ++i) {
    const float* top_diff = top[i]->cpu_diff();
    if (bias_term_ && param_propagate_down(1)) {
      float* bias_diff = blobs_[1]->mutable_cpu_diff();
      for (int n = 0; n < num_; ++n) {
        backward_cpu_bias(bias_diff, top_diff + n * top_dim_);
      }
    }
    if (!param_propagate_down(0) && !propagate_down[i]) continue;
    const float* bottom_data = bottom[i]->cpu_data();
    for (int n = 0; n < num_; ++n) {
      if (param_propagate_down(0)) {
        weight_cpu_gemm(top_diff + n * top_dim_, bottom_data + n * bottom_dim_,
                        blobs_[0]->mutable_cpu_diff());
      }
      if (propagate_down[i]) {
        // The column buffer still holds im2col(top_diff) when the weight
        // gradient was just computed from it.
        forward_cpu_gemm(top_diff + n * top_dim_, weight,
                         bottom[i]->mutable_cpu_diff() + n * bottom_dim_,
                         param_propagate_down(0));
      }
    }
  }
}

CREMA_REGISTER_LAYER("Deconvolution", DeconvolutionLayer);

}  // namespace crema
