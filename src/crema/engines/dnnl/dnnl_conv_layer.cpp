// Convolution on oneDNN. The geometry, weights and error checks are the
// reference layer's (ConvolutionLayer); this class only replaces the im2col
// + GEMM arithmetic with oneDNN primitives for 2-D convolutions over
// axis 1. Anything else (1-D, N-D, other channel axes) runs the reference.
//
// Activations stay in Caffe's NCHW blobs; the primitives choose their own
// (blocked) layouts for activations and weights ("any") and Converters
// reorder at the primitive's edges. Primitives are rebuilt only when the
// bottom's shape changes.
#include "crema/layer_registry.hpp"
#include "crema/layers/conv_layer.hpp"
#include "dnnl_common.hpp"

namespace crema {
namespace dnnl_engine {
namespace {

class DnnlConvolutionLayer : public ConvolutionLayer {
 public:
  explicit DnnlConvolutionLayer(const LayerParameter& param)
      : ConvolutionLayer(param) {}

  void Reshape(const std::vector<Blob*>& bottom,
               const std::vector<Blob*>& top) override {
    ConvolutionLayer::Reshape(bottom, top);
    // Per-side (asymmetric) padding is left to the reference engine.
    supported_ = channel_axis_ == 1 && num_spatial_axes_ == 2 && pad_end_ == pad_;
    if (!supported_) return;
    if (bottom_shape_ == built_shape_) return;
    built_shape_ = bottom_shape_;
    BuildForward();
    backward_built_ = false;
  }

 protected:
  void Forward_cpu(const std::vector<Blob*>& bottom,
                   const std::vector<Blob*>& top) override;
  void Backward_cpu(const std::vector<Blob*>& top,
                    const std::vector<bool>& propagate_down,
                    const std::vector<Blob*>& bottom) override;

 private:
  void Descs();
  void BuildForward();
  void BuildBackward();

  bool supported_ = false;
  std::vector<int> built_shape_;
  bool backward_built_ = false;

  dnnl::memory::desc src_md_, weights_md_, bias_md_, dst_md_;
  dims strides_, dilates_, pad_l_, pad_r_;

  dnnl::convolution_forward::primitive_desc fwd_pd_;
  dnnl::convolution_forward fwd_;
  Converter fwd_src_, fwd_weights_, fwd_dst_;

  dnnl::convolution_backward_data::primitive_desc bwd_data_pd_;
  dnnl::convolution_backward_data bwd_data_;
  Converter bd_diff_dst_, bd_weights_, bd_diff_src_;

  dnnl::convolution_backward_weights::primitive_desc bwd_weights_pd_;
  dnnl::convolution_backward_weights bwd_weights_;
  Converter bw_src_, bw_diff_dst_;
  dnnl::memory bw_diff_weights_, bw_diff_bias_;
  Accumulator weights_acc_, bias_acc_;
};

void DnnlConvolutionLayer::Descs() {
  const int n = bottom_shape_[0];
  const dims src = {n, channels_, input_shape(0), input_shape(1)};
  const dims dst = {n, num_output_, output_shape_[0], output_shape_[1]};
  dims weights;
  if (group_ > 1) {
    weights = {group_, num_output_ / group_, channels_ / group_,
               kernel_shape_[0], kernel_shape_[1]};
    weights_md_ = PlainDesc(weights, tag::goihw);
  } else {
    weights = {num_output_, channels_, kernel_shape_[0], kernel_shape_[1]};
    weights_md_ = PlainDesc(weights, tag::oihw);
  }
  src_md_ = PlainDesc(src, tag::nchw);
  dst_md_ = PlainDesc(dst, tag::nchw);
  bias_md_ = bias_term_ ? PlainDesc({num_output_}, tag::x)
                        : dnnl::memory::desc();
  strides_ = {stride_[0], stride_[1]};
  // oneDNN counts dilation from 0 (a dense kernel), Caffe from 1.
  dilates_ = {dilation_[0] - 1, dilation_[1] - 1};
  // Caffe's floor rule is oneDNN's with the same padding on both sides.
  pad_l_ = {pad_[0], pad_[1]};
  pad_r_ = {pad_[0], pad_[1]};
}

void DnnlConvolutionLayer::BuildForward() {
  Descs();
  const auto prop = phase_ == TEST ? dnnl::prop_kind::forward_inference
                                   : dnnl::prop_kind::forward_training;
  dnnl::convolution_forward::desc desc(
      prop, dnnl::algorithm::convolution_direct, AnyDesc(src_md_.dims()),
      AnyDesc(weights_md_.dims()), bias_md_, AnyDesc(dst_md_.dims()),
      strides_, dilates_, pad_l_, pad_r_);
  fwd_pd_ = dnnl::convolution_forward::primitive_desc(desc, CpuEngine());
  fwd_ = dnnl::convolution_forward(fwd_pd_);
  fwd_src_.Init(src_md_, fwd_pd_.src_desc());
  fwd_weights_.Init(weights_md_, fwd_pd_.weights_desc());
  fwd_dst_.Init(dst_md_, fwd_pd_.dst_desc());
}

void DnnlConvolutionLayer::BuildBackward() {
  // The backward primitives need a forward_training hint.
  dnnl::convolution_forward::desc hint_desc(
      dnnl::prop_kind::forward_training, dnnl::algorithm::convolution_direct,
      AnyDesc(src_md_.dims()), AnyDesc(weights_md_.dims()), bias_md_,
      AnyDesc(dst_md_.dims()), strides_, dilates_, pad_l_, pad_r_);
  dnnl::convolution_forward::primitive_desc hint(hint_desc, CpuEngine());

  dnnl::convolution_backward_data::desc data_desc(
      dnnl::algorithm::convolution_direct, AnyDesc(src_md_.dims()),
      AnyDesc(weights_md_.dims()), AnyDesc(dst_md_.dims()), strides_,
      dilates_, pad_l_, pad_r_);
  bwd_data_pd_ = dnnl::convolution_backward_data::primitive_desc(
      data_desc, CpuEngine(), hint);
  bwd_data_ = dnnl::convolution_backward_data(bwd_data_pd_);
  bd_diff_dst_.Init(dst_md_, bwd_data_pd_.diff_dst_desc());
  bd_weights_.Init(weights_md_, bwd_data_pd_.weights_desc());
  bd_diff_src_.Init(src_md_, bwd_data_pd_.diff_src_desc());

  dnnl::convolution_backward_weights::desc weights_desc(
      dnnl::algorithm::convolution_direct, AnyDesc(src_md_.dims()),
      AnyDesc(weights_md_.dims()), bias_md_, AnyDesc(dst_md_.dims()),
      strides_, dilates_, pad_l_, pad_r_);
  bwd_weights_pd_ = dnnl::convolution_backward_weights::primitive_desc(
      weights_desc, CpuEngine(), hint);
  bwd_weights_ = dnnl::convolution_backward_weights(bwd_weights_pd_);
  bw_src_.Init(src_md_, bwd_weights_pd_.src_desc());
  bw_diff_dst_.Init(dst_md_, bwd_weights_pd_.diff_dst_desc());
  bw_diff_weights_ =
      dnnl::memory(bwd_weights_pd_.diff_weights_desc(), CpuEngine());
  weights_acc_.Init(bwd_weights_pd_.diff_weights_desc(), weights_md_);
  if (bias_term_) {
    bw_diff_bias_ = dnnl::memory(bwd_weights_pd_.diff_bias_desc(), CpuEngine());
    bias_acc_.Init(bwd_weights_pd_.diff_bias_desc(), bias_md_);
  }
  backward_built_ = true;
}

void DnnlConvolutionLayer::Forward_cpu(const std::vector<Blob*>& bottom,
                                       const std::vector<Blob*>& top) {
  if (!supported_) return ConvolutionLayer::Forward_cpu(bottom, top);
  dnnl::stream& s = CpuStream();
  dnnl::memory weights = fwd_weights_.In(blobs_[0]->cpu_data());
  for (size_t i = 0; i < bottom.size(); ++i) {
    std::unordered_map<int, dnnl::memory> args = {
        {DNNL_ARG_SRC, fwd_src_.In(bottom[i]->cpu_data())},
        {DNNL_ARG_WEIGHTS, weights},
        {DNNL_ARG_DST, fwd_dst_.OutTarget(top[i]->mutable_cpu_data())}};
    if (bias_term_) {
      args[DNNL_ARG_BIAS] = Wrap(bias_md_, blobs_[1]->cpu_data());
    }
    fwd_.execute(s, args);
    fwd_dst_.Out(top[i]->mutable_cpu_data());
  }
}

void DnnlConvolutionLayer::Backward_cpu(const std::vector<Blob*>& top,
                                        const std::vector<bool>& propagate_down,
                                        const std::vector<Blob*>& bottom) {
  if (!supported_) {
    return ConvolutionLayer::Backward_cpu(top, propagate_down, bottom);
  }
  if (!backward_built_) BuildBackward();
  dnnl::stream& s = CpuStream();
  const bool weight_grad = param_propagate_down(0);
  const bool bias_grad = bias_term_ && param_propagate_down(1);
  bool any_data_grad = false;
  for (size_t i = 0; i < top.size(); ++i) any_data_grad |= propagate_down[i];
  dnnl::memory weights;
  if (any_data_grad) weights = bd_weights_.In(blobs_[0]->cpu_data());
  for (size_t i = 0; i < top.size(); ++i) {
    const float* top_diff = top[i]->cpu_diff();
    if (weight_grad || bias_grad) {
      std::unordered_map<int, dnnl::memory> args = {
          {DNNL_ARG_SRC, bw_src_.In(bottom[i]->cpu_data())},
          {DNNL_ARG_DIFF_DST, bw_diff_dst_.In(top_diff)},
          {DNNL_ARG_DIFF_WEIGHTS, bw_diff_weights_}};
      if (bias_term_) args[DNNL_ARG_DIFF_BIAS] = bw_diff_bias_;
      bwd_weights_.execute(s, args);
      if (weight_grad) {
        weights_acc_.Add(bw_diff_weights_, blobs_[0]->mutable_cpu_diff());
      }
      if (bias_grad) bias_acc_.Add(bw_diff_bias_, blobs_[1]->mutable_cpu_diff());
    }
    if (propagate_down[i]) {
      float* bottom_diff = bottom[i]->mutable_cpu_diff();
      bwd_data_.execute(s, {{DNNL_ARG_DIFF_DST, bd_diff_dst_.In(top_diff)},
                            {DNNL_ARG_WEIGHTS, weights},
                            {DNNL_ARG_DIFF_SRC,
                             bd_diff_src_.OutTarget(bottom_diff)}});
      bd_diff_src_.Out(bottom_diff);
    }
  }
}

}  // namespace

CREMA_REGISTER_LAYER_ENGINE("Convolution", "DNNL", kDnnlPriority,
                            DnnlConvolutionLayer);

}  // namespace dnnl_engine
}  // namespace crema
