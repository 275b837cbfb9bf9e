// Convolution and Deconvolution on oneDNN. The geometry, weights and error
// checks are the reference layers' (ConvolutionLayer, DeconvolutionLayer);
// this class only replaces the im2col + GEMM arithmetic with oneDNN's
// (de)convolution primitives for 2-D maps over axis 1. Anything else (1-D,
// N-D, other channel axes, per-side padding) runs the reference.
//
// The primitives choose their own (blocked) layouts for activations and
// weights ("any"). Outputs stay in the blob's memory in the layout the
// primitive produced, for the next DNNL layer to read as it is; inputs are
// reordered only when they arrive in another layout (dnnl_common.hpp).
// Weights that do not change between passes stay in the primitive's layout
// too. Primitives are rebuilt only when the bottom's shape changes.
//
// In training, 3x3 stride-1 convolutions with enough channels and pixels
// run oneDNN's Winograd kernels (F(4x4, 3x3)): fewer multiplications for
// the same result within float rounding, about twice as fast as direct on
// VGG16's layers. CREMA_DNNL_WINOGRAD=0 in the environment keeps every
// convolution direct.
//
// Reduced precision (LayerParameter.precision, dnnl_precision.hpp): bf16
// reads its input and weights as bf16 and writes fp32; int8 (inference)
// quantizes its input to u8/s8 with the calibrated scale, its weights to s8
// with a scale per output channel, and writes fp32 through per-channel
// output scales. The converted weights are kept between passes and
// converted again only when the weights change. bf16 training also runs
// the backward passes in bf16 (gradients in fp32; BuildBackward).
#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "crema/layer_registry.hpp"
#include "crema/layers/conv_layer.hpp"
#include "crema/layers/deconv_layer.hpp"
#include "crema/precision.hpp"
#include "dnnl_common.hpp"
#include "dnnl_precision.hpp"

namespace crema {
namespace dnnl_engine {
namespace {

// The oneDNN primitives and weight layouts of each direction. Caffe keeps
// convolution weights as out x in x kh x kw and deconvolution weights as
// in x out x kh x kw (per group); oneDNN names both by their own output
// (OC) and input (IC) channels.
struct ConvKind {
  using Base = ConvolutionLayer;
  using Fwd = dnnl::convolution_forward;
  using BwdData = dnnl::convolution_backward_data;
  using BwdWeights = dnnl::convolution_backward_weights;
  static constexpr dnnl::algorithm kAlgorithm = dnnl::algorithm::convolution_direct;
  static constexpr bool kHasWinograd = true;
  static constexpr bool kLowPrecision = true;
  static constexpr tag kWeights = tag::oihw, kGroupedWeights = tag::goihw;
};
struct DeconvKind {
  using Base = DeconvolutionLayer;
  using Fwd = dnnl::deconvolution_forward;
  using BwdData = dnnl::deconvolution_backward_data;
  using BwdWeights = dnnl::deconvolution_backward_weights;
  static constexpr dnnl::algorithm kAlgorithm = dnnl::algorithm::deconvolution_direct;
  static constexpr bool kHasWinograd = false;
  static constexpr bool kLowPrecision = false;
  static constexpr tag kWeights = tag::iohw, kGroupedWeights = tag::giohw;
};

template <typename Kind>
class DnnlConvLayer : public Kind::Base {
  using Base = typename Kind::Base;
  // The geometry members of BaseConvolutionLayer, by name.
  using Base::bias_term_, Base::blobs_, Base::bottom_shape_, Base::channel_axis_,
      Base::channels_, Base::dilation_, Base::group_, Base::kernel_shape_,
      Base::num_output_, Base::num_spatial_axes_, Base::output_shape_, Base::pad_,
      Base::pad_end_, Base::phase_, Base::stride_;

 public:
  explicit DnnlConvLayer(const LayerParameter& param) : Base(param) {}

  void Reshape(const std::vector<Blob*>& bottom,
               const std::vector<Blob*>& top) override {
    Base::Reshape(bottom, top);
    // Per-side (asymmetric) padding is left to the reference engine.
    supported_ = channel_axis_ == 1 && num_spatial_axes_ == 2 && pad_end_ == pad_;
    this->ReportFallback(!supported_, "DNNL runs 2-D maps over axis 1 with the same padding on "
                                      "both sides only.");
    if (!supported_) return;
    precision_ = Kind::kLowPrecision ? LayerPrecision(this->layer_param()) : FP32;
    // int8 is for inference: a layer that learns computes in fp32.
    if (precision_ == INT8 && phase_ == TRAIN && this->backward_needed()) precision_ = FP32;
    if (bottom_shape_ == built_shape_ && built_for_backward_ == this->backward_needed()) {
      return;
    }
    built_shape_ = bottom_shape_;
    built_for_backward_ = this->backward_needed();
    BuildForward();
    backward_built_ = false;
  }

  bool FuseReLU(float negative_slope) override {
    fuse_relu_ = true;
    relu_slope_ = negative_slope;
    if (!built_shape_.empty()) BuildForward();
    return true;
  }
  bool ReadsEngineLayouts() const override { return supported_; }

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
  void MakeBackward(Precision precision);
  bool WinogradPays(bool inference) const;
  // Calls make(algorithm_), then make(direct) if oneDNN has no such kernel.
  // Returns the algorithm used.
  template <typename Make>
  dnnl::algorithm WithAlgorithm(const Make& make) const;

  dnnl::primitive_attr ForwardAttr() const;
  // The weights (and int8 scales and bias) the forward primitive reads.
  dnnl::memory ForwardWeights(std::unordered_map<int, dnnl::memory>* args);

  // The reference path, with the fused ReLU applied after it.
  void ReferenceForward(const std::vector<Blob*>& bottom, const std::vector<Blob*>& top);

  bool supported_ = false;
  Precision precision_ = FP32;
  Precision backward_precision_ = FP32;  // BF16 or FP32
  WeightCache weight_cache_;  // bf16 or s8 weights
  dnnl::memory output_scales_, scaled_bias_;  // int8
  std::vector<float> int8_scales_;            // int8: those the primitive has
  uint64_t bias_version_ = 0;
  // The algorithm the primitives were asked for first; each falls back to
  // direct where oneDNN has no Winograd kernel for it.
  dnnl::algorithm algorithm_ = Kind::kAlgorithm;
  dnnl::algorithm logged_algorithm_ = Kind::kAlgorithm;
  bool fuse_relu_ = false;
  float relu_slope_ = 0.f;
  std::vector<int> built_shape_;
  bool built_for_backward_ = true;
  bool backward_built_ = false;

  dnnl::memory::desc src_md_, weights_md_, bias_md_, dst_md_;
  dims strides_, dilates_, pad_l_, pad_r_;

  typename Kind::Fwd::primitive_desc fwd_pd_;
  typename Kind::Fwd fwd_;
  Reader fwd_src_, fwd_weights_;
  Writer fwd_dst_;

  typename Kind::BwdData::primitive_desc bwd_data_pd_;
  typename Kind::BwdData bwd_data_;
  Reader bd_diff_dst_, bd_weights_;
  Writer bd_diff_src_;

  typename Kind::BwdWeights::primitive_desc bwd_weights_pd_;
  typename Kind::BwdWeights bwd_weights_;
  Reader bw_src_, bw_diff_dst_;
  dnnl::memory bw_diff_weights_, bw_diff_bias_;
  Accumulator weights_acc_, bias_acc_;
};

template <typename Kind>
void DnnlConvLayer<Kind>::Descs() {
  const int n = bottom_shape_[0];
  const dims src = {n, channels_, this->input_shape(0), this->input_shape(1)};
  const dims dst = {n, num_output_, output_shape_[0], output_shape_[1]};
  dims weights;
  if (group_ > 1) {
    weights = {group_, num_output_ / group_, channels_ / group_,
               kernel_shape_[0], kernel_shape_[1]};
    weights_md_ = PlainDesc(weights, Kind::kGroupedWeights);
  } else {
    weights = {num_output_, channels_, kernel_shape_[0], kernel_shape_[1]};
    weights_md_ = PlainDesc(weights, Kind::kWeights);
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

// Where Winograd was measured to beat direct (2 cores, AVX-512): training
// from 512 output pixels per channel over the batch (VGG16 and AlexNet's
// conv3, 1.7-2.8x). Few input channels (an RGB first layer) are faster
// direct. Inference stays direct: its Winograd kernel (F(2x2, 3x3)) wins
// only on large maps, where its scratch (the transformed input and output,
// 100 MB for VGG16's first layers at batch 1) outweighs the gain.
template <typename Kind>
bool DnnlConvLayer<Kind>::WinogradPays(bool inference) const {
  if (!Kind::kHasWinograd || inference) return false;
  const char* env = std::getenv("CREMA_DNNL_WINOGRAD");
  if ((env != nullptr && std::strcmp(env, "0") == 0) || group_ != 1 ||
      channels_ < 16 || num_output_ < 16) {
    return false;
  }
  for (int d = 0; d < 2; ++d) {
    if (kernel_shape_[d] != 3 || stride_[d] != 1 || dilation_[d] != 1) return false;
  }
  const long pixels =
      static_cast<long>(bottom_shape_[0]) * output_shape_[0] * output_shape_[1];
  return pixels >= 512;
}

template <typename Kind>
template <typename Make>
dnnl::algorithm DnnlConvLayer<Kind>::WithAlgorithm(const Make& make) const {
  if (algorithm_ != Kind::kAlgorithm) {
    try {
      make(algorithm_);
      return algorithm_;
    } catch (const dnnl::error&) {
      // No Winograd kernel for this shape or post-op: direct below.
    }
  }
  make(Kind::kAlgorithm);
  return Kind::kAlgorithm;
}

template <typename Kind>
void DnnlConvLayer<Kind>::BuildForward() {
  Descs();
  const bool inference = phase_ == TEST || !this->backward_needed();
  const auto prop = inference ? dnnl::prop_kind::forward_inference
                              : dnnl::prop_kind::forward_training;
  algorithm_ = WinogradPays(inference) && precision_ == FP32
                   ? dnnl::algorithm::convolution_winograd
                   : Kind::kAlgorithm;
  const dnnl::primitive_attr attr = ForwardAttr();
  dt src_type = dt::f32, weights_type = dt::f32;
  if (precision_ == BF16) src_type = weights_type = dt::bf16;
  if (precision_ == INT8) {
    src_type = InputType(this->layer_param().calibration());
    weights_type = dt::s8;
  }
  const dnnl::algorithm used = WithAlgorithm([&](dnnl::algorithm alg) {
    typename Kind::Fwd::desc desc(
        prop, alg, dnnl::memory::desc(src_md_.dims(), src_type, tag::any),
        dnnl::memory::desc(weights_md_.dims(), weights_type, tag::any),
        bias_md_, AnyDesc(dst_md_.dims()), strides_, dilates_, pad_l_, pad_r_);
    fwd_pd_ = typename Kind::Fwd::primitive_desc(desc, attr, CpuEngine());
  });
  if (used != Kind::kAlgorithm && used != logged_algorithm_) {
    LOG(INFO) << this->layer_param().name() << " runs Winograd convolution ("
              << (inference ? "inference" : "training") << ", batch "
              << bottom_shape_[0] << ").";
  }
  logged_algorithm_ = used;
  fwd_ = typename Kind::Fwd(fwd_pd_);
  dnnl::primitive_attr quantize;
  if (precision_ == INT8) {
    quantize.set_output_scales(0, {InputScale(this->layer_param().calibration())});
  }
  fwd_src_.Init(src_md_, fwd_pd_.src_desc(), quantize);
  fwd_weights_.Init(weights_md_, fwd_pd_.weights_desc());
  fwd_dst_.Init(dst_md_, fwd_pd_.dst_desc());
  if (precision_ != FP32) {
    weight_cache_.Init(weights_md_, fwd_pd_.weights_desc(), num_output_, true,
                       group_ > 1 ? 3 : 1);
  }
  if (precision_ != FP32 && used == Kind::kAlgorithm) {
    LOG(INFO) << this->layer_param().name() << " computes in " << PrecisionName(precision_)
              << " (" << fwd_pd_.impl_info_str() << ").";
  }
}

template <typename Kind>
dnnl::primitive_attr DnnlConvLayer<Kind>::ForwardAttr() const {
  dnnl::primitive_attr attr = ReLUPostOp(fuse_relu_, relu_slope_);
  // int8: a scale per output channel, fixed in the primitive (oneDNN's int8
  // convolutions take no run-time scales); ones until the weights are first
  // converted, then the primitive is made again (ForwardWeights).
  if (precision_ == INT8) {
    attr.set_output_scales(2, int8_scales_.empty() ? std::vector<float>(num_output_, 1.f)
                                                   : int8_scales_);
  }
  return attr;
}

template <typename Kind>
dnnl::memory DnnlConvLayer<Kind>::ForwardWeights(std::unordered_map<int, dnnl::memory>* args) {
  SyncedMemory& weight_data = *blobs_[0]->data();
  if (precision_ == FP32) {
    // Weights that stay put between passes (inference, frozen layers) are
    // kept in the primitive's layout instead of being reordered every pass.
    const bool weights_stay = phase_ == TEST || !this->param_propagate_down(0);
    if (bias_term_) (*args)[DNNL_ARG_BIAS] = Wrap(bias_md_, blobs_[1]->cpu_data());
    return weights_stay ? fwd_weights_.Adopt(weight_data) : fwd_weights_.Read(weight_data);
  }
  if (precision_ == BF16) {
    if (bias_term_) (*args)[DNNL_ARG_BIAS] = Wrap(bias_md_, blobs_[1]->cpu_data());
    return weight_cache_.Get(weight_data);
  }
  const bool stale = weight_cache_.Stale(weight_data) ||
                     (bias_term_ && bias_version_ != blobs_[1]->data()->version());
  dnnl::memory weights = weight_cache_.Get(weight_data);
  if (stale || !output_scales_) {
    std::vector<float> scales, bias;
    Int8Rescale(this->layer_param().calibration(), weight_cache_.channel_max(),
                bias_term_ ? blobs_[1]->cpu_data() : nullptr, &scales, &bias);
    const dnnl::memory::desc x = PlainDesc({num_output_}, tag::x);
    output_scales_ = dnnl::memory(x, CpuEngine());
    std::copy(scales.begin(), scales.end(), static_cast<float*>(output_scales_.get_data_handle()));
    scaled_bias_ = dnnl::memory(x, CpuEngine());
    std::copy(bias.begin(), bias.end(), static_cast<float*>(scaled_bias_.get_data_handle()));
    if (bias_term_) bias_version_ = blobs_[1]->data()->version();
    if (scales != int8_scales_) {
      int8_scales_ = scales;
      BuildForward();                              // with the new scales
      weights = weight_cache_.Get(weight_data);    // converted again: same values
    }
  }
  if (bias_term_) (*args)[DNNL_ARG_BIAS] = scaled_bias_;
  return weights;
}

template <typename Kind>
void DnnlConvLayer<Kind>::BuildBackward() {
  // bf16 training: the top diff, the weights and (for the weight gradient)
  // the input are read as bf16; the gradients are written in fp32, where the
  // solver keeps its master weights. A shape oneDNN has no bf16 backward
  // kernel for runs its backward in fp32.
  backward_precision_ = precision_ == BF16 ? BF16 : FP32;
  // bf16 has direct kernels only. Where fp32 training runs Winograd (3x3,
  // stride 1) on maps its 4x4 output tiles cover with little waste, its
  // backward passes were measured faster than bf16's direct ones
  // (bench/precision.sh, BENCH_PREC_PROFILE=1: VGG16's 224 to 14 pixel
  // maps): such a layer computes its forward pass in bf16 and its backward
  // passes in fp32 Winograd. On AlexNet's 13 x 13 maps the tiles compute
  // 16 x 16 outputs, a third of them thrown away, and bf16 direct is faster.
  const dnnl::algorithm forward_algorithm = algorithm_;
  auto tiles_used = [](int outputs) {
    return static_cast<double>(outputs) / ((outputs + 3) / 4 * 4);
  };
  if (backward_precision_ == BF16 && WinogradPays(false) &&
      tiles_used(output_shape_[0]) * tiles_used(output_shape_[1]) >= 0.75) {
    backward_precision_ = FP32;
    algorithm_ = dnnl::algorithm::convolution_winograd;
    LOG(INFO) << this->layer_param().name() << " computes its backward in fp32 Winograd, "
              << "faster here than bf16 direct.";
  }
  struct Restore {
    dnnl::algorithm* algorithm;
    dnnl::algorithm value;
    ~Restore() { *algorithm = value; }
  } restore{&algorithm_, forward_algorithm};
  try {
    MakeBackward(backward_precision_);
  } catch (const dnnl::error&) {
    if (backward_precision_ == FP32) throw;
    LOG(INFO) << this->layer_param().name() << ": no bf16 backward kernel for this shape; "
              << "its backward computes in fp32.";
    backward_precision_ = FP32;
    MakeBackward(FP32);
  }
  backward_built_ = true;
}

template <typename Kind>
void DnnlConvLayer<Kind>::MakeBackward(Precision precision) {
  const dt low = precision == BF16 ? dt::bf16 : dt::f32;
  auto typed = [&](const dnnl::memory::desc& plain) {
    return dnnl::memory::desc(plain.dims(), low, tag::any);
  };
  // The backward primitives need a forward_training hint.
  auto hint = [&](dnnl::algorithm alg) {
    typename Kind::Fwd::desc hint_desc(
        dnnl::prop_kind::forward_training, alg, typed(src_md_), typed(weights_md_), bias_md_,
        AnyDesc(dst_md_.dims()), strides_, dilates_, pad_l_, pad_r_);
    return typename Kind::Fwd::primitive_desc(hint_desc, CpuEngine());
  };
  WithAlgorithm([&](dnnl::algorithm alg) {
    typename Kind::BwdData::desc data_desc(
        alg, AnyDesc(src_md_.dims()), typed(weights_md_), typed(dst_md_), strides_, dilates_,
        pad_l_, pad_r_);
    bwd_data_pd_ =
        typename Kind::BwdData::primitive_desc(data_desc, CpuEngine(), hint(alg));
  });
  bwd_data_ = typename Kind::BwdData(bwd_data_pd_);
  bd_diff_dst_.Init(dst_md_, bwd_data_pd_.diff_dst_desc());
  bd_weights_.Init(weights_md_, bwd_data_pd_.weights_desc());
  bd_diff_src_.Init(src_md_, bwd_data_pd_.diff_src_desc());

  WithAlgorithm([&](dnnl::algorithm alg) {
    typename Kind::BwdWeights::desc weights_desc(
        alg, typed(src_md_), AnyDesc(weights_md_.dims()), bias_md_, typed(dst_md_), strides_,
        dilates_, pad_l_, pad_r_);
    bwd_weights_pd_ = typename Kind::BwdWeights::primitive_desc(
        weights_desc, CpuEngine(), hint(alg));
  });
  bwd_weights_ = typename Kind::BwdWeights(bwd_weights_pd_);
  bw_src_.Init(src_md_, bwd_weights_pd_.src_desc());
  bw_diff_dst_.Init(dst_md_, bwd_weights_pd_.diff_dst_desc());
  bw_diff_weights_ =
      dnnl::memory(bwd_weights_pd_.diff_weights_desc(), CpuEngine());
  weights_acc_.Init(bwd_weights_pd_.diff_weights_desc(), weights_md_);
  if (bias_term_) {
    bw_diff_bias_ = dnnl::memory(bwd_weights_pd_.diff_bias_desc(), CpuEngine());
    bias_acc_.Init(bwd_weights_pd_.diff_bias_desc(), bias_md_);
  }
  if (precision == BF16) {
    LOG(INFO) << this->layer_param().name() << " computes its backward in bf16 ("
              << bwd_data_pd_.impl_info_str() << ", " << bwd_weights_pd_.impl_info_str()
              << ").";
  }
}

template <typename Kind>
void DnnlConvLayer<Kind>::ReferenceForward(const std::vector<Blob*>& bottom,
                                           const std::vector<Blob*>& top) {
  Base::Forward_cpu(bottom, top);
  if (!fuse_relu_) return;
  for (Blob* t : top) {
    float* x = t->mutable_cpu_data();
    const int n = t->count();
    const float slope = relu_slope_;
#pragma omp parallel for if (n > 65536)
    for (int i = 0; i < n; ++i) x[i] = x[i] > 0 ? x[i] : slope * x[i];
  }
}

template <typename Kind>
void DnnlConvLayer<Kind>::Forward_cpu(const std::vector<Blob*>& bottom,
                                      const std::vector<Blob*>& top) {
  if (!supported_) return ReferenceForward(bottom, top);
  ScratchScope scratch;
  dnnl::stream& s = CpuStream();
  std::unordered_map<int, dnnl::memory> args;
  args[DNNL_ARG_WEIGHTS] = ForwardWeights(&args);
  // Training in bf16: the converted input is kept for the weight gradient.
  const bool keep = precision_ == BF16 && phase_ == TRAIN && bottom.size() == 1 &&
                    this->param_propagate_down(0);
  for (size_t i = 0; i < bottom.size(); ++i) {
    args[DNNL_ARG_SRC] =
        keep ? fwd_src_.ReadKept(*bottom[i]->data()) : fwd_src_.Read(*bottom[i]->data());
    args[DNNL_ARG_DST] = fwd_dst_.Target(*top[i]->data());
    fwd_.execute(s, args);
  }
}

template <typename Kind>
void DnnlConvLayer<Kind>::Backward_cpu(const std::vector<Blob*>& top,
                                       const std::vector<bool>& propagate_down,
                                       const std::vector<Blob*>& bottom) {
  if (!supported_) return Base::Backward_cpu(top, propagate_down, bottom);
  if (!backward_built_) BuildBackward();
  ScratchScope scratch;
  dnnl::stream& s = CpuStream();
  const bool weight_grad = this->param_propagate_down(0);
  const bool bias_grad = bias_term_ && this->param_propagate_down(1);
  bool any_data_grad = false;
  for (size_t i = 0; i < top.size(); ++i) any_data_grad |= propagate_down[i];
  dnnl::memory weights;
  if (any_data_grad) {
    // bf16: the forward pass's converted weights, when the layouts agree.
    const bool reuse = backward_precision_ == BF16 && precision_ == BF16 &&
                       bwd_data_pd_.weights_desc() == fwd_pd_.weights_desc();
    weights = reuse ? weight_cache_.Get(*blobs_[0]->data()) : bd_weights_.Read(*blobs_[0]->data());
  }
  // Both backward primitives usually want the top diff in one layout:
  // reorder it once.
  const bool one_diff_dst = bw_diff_dst_.want() == bd_diff_dst_.want();
  for (size_t i = 0; i < top.size(); ++i) {
    SyncedMemory& top_diff = *top[i]->diff();
    dnnl::memory diff_dst;
    if (weight_grad || bias_grad) {
      diff_dst = bw_diff_dst_.Read(top_diff);
      SyncedMemory& input = *bottom[i]->data();
      const bool kept = fwd_src_.Keeps(input) && fwd_src_.want() == bw_src_.want();
      std::unordered_map<int, dnnl::memory> args = {
          {DNNL_ARG_SRC, kept ? fwd_src_.kept() : bw_src_.Read(input)},
          {DNNL_ARG_DIFF_DST, diff_dst},
          {DNNL_ARG_DIFF_WEIGHTS, bw_diff_weights_}};
      if (bias_term_) args[DNNL_ARG_DIFF_BIAS] = bw_diff_bias_;
      bwd_weights_.execute(s, args);
      float beta = 1.f;
      if (weight_grad) {
        float* weight_diff = blobs_[0]->diff_to_accumulate(&beta);
        weights_acc_.Add(bw_diff_weights_, weight_diff, beta);
      }
      if (bias_grad) {
        float* bias_diff = blobs_[1]->diff_to_accumulate(&beta);
        bias_acc_.Add(bw_diff_bias_, bias_diff, beta);
      }
    }
    if (propagate_down[i]) {
      SyncedMemory& bottom_diff = *bottom[i]->diff();
      if (!diff_dst || !one_diff_dst) diff_dst = bd_diff_dst_.Read(top_diff);
      bwd_data_.execute(s, {{DNNL_ARG_DIFF_DST, diff_dst},
                            {DNNL_ARG_WEIGHTS, weights},
                            {DNNL_ARG_DIFF_SRC, bd_diff_src_.Target(bottom_diff)}});
    }
  }
}

}  // namespace

using DnnlConvolutionLayer = DnnlConvLayer<ConvKind>;
using DnnlDeconvolutionLayer = DnnlConvLayer<DeconvKind>;
CREMA_REGISTER_LAYER_ENGINE("Convolution", "DNNL", kDnnlPriority,
                            DnnlConvolutionLayer);
CREMA_REGISTER_LAYER_ENGINE("Deconvolution", "DNNL", kDnnlPriority,
                            DnnlDeconvolutionLayer);

}  // namespace dnnl_engine
}  // namespace crema
