// InnerProduct on oneDNN. The forward product runs as a oneDNN inner
// product while the batch is tiny (at batch 1 it is a matrix-vector kernel
// where Caffe calls GEMM) and as a oneDNN matmul above that: with Caffe's
// plain N x K weights, oneDNN's inner product falls back to a GEMM that is
// slow for a few dozen rows (AlexNet's fc6 at batch 16: ~5x slower than the
// matmul), while the matmul reads the same weights through strides. The
// bottom diff is oneDNN's inner product backward-data (see BuildBackward).
// The weight and bias gradients keep the
// reference's BLAS calls, which accumulate straight into the parameter diffs
// with beta = 1 and so need no gradient-sized scratch buffer (fc6 of VGG16
// alone has 103M weights); for these shapes they are as fast as oneDNN's.
// Every primitive uses the blobs' own plain memory: no reorders.
//
// Reduced precision (dnnl_precision.hpp): bf16 converts the input to bf16
// and keeps a bf16 copy of the weights; int8 (inference) quantizes the
// input to u8/s8 with the calibrated scale and keeps s8 weights with a scale
// per output; both write fp32. A layer that learns in bf16 reads its weights
// from the weight memory's own bf16 copy (SyncedMemory::Bf16Copy), in the
// blob's plain order: the solver's update rewrites that copy in the same
// pass as the fp32 master weights, so a training step converts nothing, and
// the forward product reads half the bytes fp32 does (at a few dozen rows it
// is bound by reading the weights). The gradients stay fp32 (BuildBackward).
#include <algorithm>

#include "crema/precision.hpp"
#include "crema/layer_registry.hpp"
#include "crema/layers/inner_product_layer.hpp"
#include "dnnl_common.hpp"
#include "dnnl_precision.hpp"

namespace crema {
namespace dnnl_engine {
namespace {

// Up to this many rows the inner product primitive beats the matmul.
constexpr int kMaxInnerProductRows = 4;

class DnnlInnerProductLayer : public InnerProductLayer {
 public:
  explicit DnnlInnerProductLayer(const LayerParameter& param)
      : InnerProductLayer(param) {}

  void Reshape(const std::vector<Blob*>& bottom,
               const std::vector<Blob*>& top) override {
    InnerProductLayer::Reshape(bottom, top);
    const InnerProductParameter& p = layer_param_.inner_product_param();
    const int axis = bottom[0]->CanonicalAxisIndex(p.axis());
    const int m = bottom[0]->count(0, axis);
    const int k = bottom[0]->count(axis);
    const int n = static_cast<int>(p.num_output());
    precision_ = LayerPrecision(layer_param_);
    if (precision_ == INT8 && phase_ == TRAIN && this->backward_needed()) precision_ = FP32;
    const bool bf16_master =
        precision_ == BF16 && phase_ == TRAIN && this->param_propagate_down(0);
    if (m == m_ && k == k_ && n == n_ && bf16_master == bf16_master_) return;
    bf16_master_ = bf16_master;
    m_ = m;
    k_ = k;
    n_ = n;
    BuildForward();
    backward_built_ = false;
    weight_grad_built_ = false;
  }

  bool FuseReLU(float negative_slope) override {
    fuse_relu_ = true;
    relu_slope_ = negative_slope;
    if (m_ >= 0) BuildForward();
    return true;
  }

 protected:
  void Forward_cpu(const std::vector<Blob*>& bottom,
                   const std::vector<Blob*>& top) override {
    std::unordered_map<int, dnnl::memory> args;
    ScratchScope scratch;
    if (precision_ == FP32) {
      args[DNNL_ARG_SRC] = Wrap(src_md_, bottom[0]->cpu_data());
      args[DNNL_ARG_WEIGHTS] = Wrap(weights_md_, blobs_[0]->cpu_data());
      if (blobs_.size() > 1) args[DNNL_ARG_BIAS] = Wrap(bias_md_, blobs_[1]->cpu_data());
    } else {
      args[DNNL_ARG_SRC] = src_reader_.Read(*bottom[0]->data());
      args[DNNL_ARG_WEIGHTS] = LowPrecisionWeights(&args);
    }
    args[DNNL_ARG_DST] = Wrap(dst_md_, top[0]->mutable_cpu_data());
    fwd_.execute(CpuStream(), args);
  }

  void Backward_cpu(const std::vector<Blob*>& top,
                    const std::vector<bool>& propagate_down,
                    const std::vector<Blob*>& bottom) override {
    // Parameter gradients: the reference's accumulating BLAS calls.
    InnerProductLayer::Backward_cpu(top, {false}, bottom);
    if (!propagate_down[0]) return;
    if (!backward_built_) BuildBackward();
    bwd_data_.execute(
        CpuStream(),
        {{bwd_args_[0], Wrap(diff_dst_md_, top[0]->cpu_diff())},
         {bwd_args_[1], Wrap(weights_nk_md_, blobs_[0]->cpu_data())},
         {bwd_args_[2], Wrap(diff_src_md_, bottom[0]->mutable_cpu_diff())}});
  }

  // A weight gradient written over an empty diff (beta 0): a oneDNN
  // matmul, which writes dW without reading it, where BLAS with beta 0
  // first fills it with zeros in a pass of its own (fc6: 151 MB written
  // twice and read once, against once). Adding to a diff: BLAS.
  void WeightGradient(const float* top_diff, const float* bottom_data, float beta,
                      float* weight_diff) override {
    if (beta != 0.f || transposed()) {
      return InnerProductLayer::WeightGradient(top_diff, bottom_data, beta, weight_diff);
    }
    if (!weight_grad_built_) {
      // dW (N x K) = top_diff^T (N x M: the M x N top diff read as ba) * bottom (M x K).
      dw_top_md_ = PlainDesc({n_, m_}, tag::ba);
      dw_bottom_md_ = PlainDesc({m_, k_}, tag::ab);
      dw_md_ = PlainDesc({n_, k_}, tag::ab);
      dnnl::matmul::desc desc(dw_top_md_, dw_bottom_md_, dw_md_);
      weight_grad_ = dnnl::matmul(dnnl::matmul::primitive_desc(desc, CpuEngine()));
      weight_grad_built_ = true;
    }
    weight_grad_.execute(CpuStream(),
                         {{DNNL_ARG_SRC, Wrap(dw_top_md_, top_diff)},
                          {DNNL_ARG_WEIGHTS, Wrap(dw_bottom_md_, bottom_data)},
                          {DNNL_ARG_DST, Wrap(dw_md_, weight_diff)}});
  }

 private:
  bool transposed() const { return layer_param_.inner_product_param().transpose(); }

  dnnl::memory LowPrecisionWeights(std::unordered_map<int, dnnl::memory>* args) {
    SyncedMemory& weight_data = *blobs_[0]->data();
    const bool bias = blobs_.size() > 1;
    if (precision_ == BF16) {
      if (bias) (*args)[DNNL_ARG_BIAS] = Wrap(bias_md_, blobs_[1]->cpu_data());
      if (bf16_master_) return Bf16Weights(fwd_weights_md_);
      return weight_cache_.Get(weight_data);
    }
    const bool stale = weight_cache_.Stale(weight_data) ||
                       (bias && bias_version_ != blobs_[1]->data()->version());
    dnnl::memory weights = weight_cache_.Get(weight_data);
    if (stale || !output_scales_) {
      std::vector<float> scales, scaled;
      Int8Rescale(layer_param_.calibration(), weight_cache_.channel_max(),
                  bias ? blobs_[1]->cpu_data() : nullptr, &scales, &scaled);
      output_scales_ = dnnl::memory(PlainDesc({n_}, tag::x), CpuEngine());
      std::copy(scales.begin(), scales.end(),
                static_cast<float*>(output_scales_.get_data_handle()));
      if (bias) {
        scaled_bias_ = dnnl::memory(bias_md_, CpuEngine());
        std::copy(scaled.begin(), scaled.end(),
                  static_cast<float*>(scaled_bias_.get_data_handle()));
        bias_version_ = blobs_[1]->data()->version();
      }
    }
    (*args)[DNNL_ARG_ATTR_OUTPUT_SCALES] = output_scales_;
    if (bias) (*args)[DNNL_ARG_BIAS] = scaled_bias_;
    return weights;
  }

  // The weights' bf16 copy, seen through `md` (bf16, the blob's order).
  dnnl::memory Bf16Weights(const dnnl::memory::desc& md) {
    const uint16_t* copy = blobs_[0]->data()->Bf16Copy(blobs_[0]->count());
    return dnnl::memory(md, CpuEngine(), const_cast<uint16_t*>(copy));
  }

  // The input and weight descriptors of the precision: plain f32, or the
  // reduced type in a layout of the primitive's choosing (learning bf16:
  // the weights' plain order, that of their bf16 copy).
  dnnl::memory::desc Typed(const dnnl::memory::desc& plain, bool is_src) const {
    if (precision_ == FP32) return plain;
    if (bf16_master_ && !is_src) return SameOrder(plain, dt::bf16);
    dt type = dt::bf16;
    if (precision_ == INT8) type = is_src ? InputType(layer_param_.calibration()) : dt::s8;
    return dnnl::memory::desc(plain.dims(), type, is_src ? tag::ab : tag::any);
  }

  // After the primitive is made: where its reduced-precision inputs come from.
  void InitConversions(const dnnl::memory::desc& src_want,
                       const dnnl::memory::desc& weights_want, int scale_mask) {
    if (precision_ == FP32) return;
    dnnl::primitive_attr quantize;
    if (precision_ == INT8) {
      quantize.set_output_scales(0, {InputScale(layer_param_.calibration())});
    }
    src_reader_.Init(RowMajorDesc({m_, k_}), src_want, quantize);
    output_scales_ = dnnl::memory();
    if (bf16_master_) {
      fwd_weights_md_ = weights_want;
      LOG(INFO) << layer_param_.name() << " computes its forward pass in bf16, from the "
                << "weights' bf16 copy (the solver's update refreshes it).";
      return;
    }
    weight_cache_.Init(weights_md_, weights_want, n_, !transposed(), scale_mask);
    LOG(INFO) << layer_param_.name() << " computes in " << PrecisionName(precision_) << ".";
  }

  void BuildForward() {
    const bool bias = layer_param_.inner_product_param().bias_term();
    dnnl::primitive_attr attr = ReLUPostOp(fuse_relu_, relu_slope_);
    if (precision_ == INT8) attr.set_output_scales(2, {DNNL_RUNTIME_F32_VAL});
    // (Learning bf16 reads plain bf16 weights, which the matmul takes.)
    if (m_ <= kMaxInnerProductRows && !bf16_master_) {
      src_md_ = PlainDesc({m_, k_}, tag::nc);
      dst_md_ = PlainDesc({m_, n_}, tag::nc);
      // The weight blob is N x K, or K x N with transpose: io.
      weights_md_ = PlainDesc({n_, k_}, transposed() ? tag::io : tag::oi);
      bias_md_ = bias ? PlainDesc({n_}, tag::x) : dnnl::memory::desc();
      const auto prop = phase_ == TEST ? dnnl::prop_kind::forward_inference
                                       : dnnl::prop_kind::forward_training;
      dnnl::inner_product_forward::desc desc(prop, Typed(src_md_, true),
                                             Typed(weights_md_, false), bias_md_, dst_md_);
      dnnl::inner_product_forward::primitive_desc pd(desc, attr, CpuEngine());
      fwd_ = dnnl::inner_product_forward(pd);
      InitConversions(pd.src_desc(), pd.weights_desc(), 1);
      return;
    }
    // top (M x N) = bottom (M x K) * W^T, W^T being K x N: the N x K blob
    // read column-major (ba), or the K x N blob of transpose as it is.
    src_md_ = PlainDesc({m_, k_}, tag::ab);
    dst_md_ = PlainDesc({m_, n_}, tag::ab);
    weights_md_ = PlainDesc({k_, n_}, transposed() ? tag::ab : tag::ba);
    bias_md_ = bias ? PlainDesc({1, n_}, tag::ab) : dnnl::memory::desc();
    dnnl::matmul::desc desc(Typed(src_md_, true), Typed(weights_md_, false), bias_md_,
                            dst_md_);
    dnnl::matmul::primitive_desc pd(desc, attr, CpuEngine());
    fwd_ = dnnl::matmul(pd);
    InitConversions(pd.src_desc(), pd.weights_desc(), 2);
  }

  void SetBackwardArgs(int diff_dst, int weights, int diff_src) {
    bwd_args_[0] = diff_dst;
    bwd_args_[1] = weights;
    bwd_args_[2] = diff_src;
  }

  // The bottom diff, in fp32 whatever the precision: oneDNN's inner product
  // backward-data, a GEMM that reads the weights in the blob's own order.
  // For AlexNet's fc6-8 at batch 16 it was measured faster than the matmul
  // (which repacks the weights every call; fc6: 4.4 against 7.4 ms) and
  // than either in bf16 (5.0 ms with the bf16 weights). The matmul where it
  // has no kernel.
  void BuildBackward() {
    diff_dst_md_ = PlainDesc({m_, n_}, tag::ab);
    diff_src_md_ = PlainDesc({m_, k_}, tag::ab);
    try {
      weights_nk_md_ = PlainDesc({n_, k_}, transposed() ? tag::io : tag::oi);
      dnnl::inner_product_forward::desc hint(dnnl::prop_kind::forward_training, diff_src_md_,
                                             weights_nk_md_, dnnl::memory::desc(),
                                             diff_dst_md_);
      dnnl::inner_product_forward::primitive_desc hint_pd(hint, CpuEngine());
      dnnl::inner_product_backward_data::desc desc(diff_src_md_, weights_nk_md_, diff_dst_md_);
      dnnl::inner_product_backward_data::primitive_desc pd(desc, CpuEngine(), hint_pd);
      if (pd.weights_desc() != weights_nk_md_ || pd.diff_dst_desc() != diff_dst_md_ ||
          pd.diff_src_desc() != diff_src_md_) {
        throw dnnl::error(dnnl_unimplemented, "another layout");
      }
      bwd_data_ = dnnl::inner_product_backward_data(pd);
      SetBackwardArgs(DNNL_ARG_DIFF_DST, DNNL_ARG_WEIGHTS, DNNL_ARG_DIFF_SRC);
    } catch (const dnnl::error&) {
      // bottom diff (M x K) = top diff (M x N) * W (N x K).
      weights_nk_md_ = PlainDesc({n_, k_}, transposed() ? tag::ba : tag::ab);
      dnnl::matmul::desc desc(diff_dst_md_, weights_nk_md_, diff_src_md_);
      bwd_data_ = dnnl::matmul(dnnl::matmul::primitive_desc(desc, CpuEngine()));
      SetBackwardArgs(DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_DST);
    }
    backward_built_ = true;
  }

  Precision precision_ = FP32;
  bool bf16_master_ = false;  // learning in bf16: weights from their bf16 copy
  dnnl::memory::desc fwd_weights_md_;  // bf16_master_: the forward's
  Reader src_reader_;
  WeightCache weight_cache_;
  dnnl::memory output_scales_, scaled_bias_;  // int8
  uint64_t bias_version_ = 0;
  bool fuse_relu_ = false;
  float relu_slope_ = 0.f;
  int m_ = -1, k_ = -1, n_ = -1;
  dnnl::memory::desc src_md_, weights_md_, bias_md_, dst_md_;
  dnnl::primitive fwd_;
  bool backward_built_ = false;
  dnnl::memory::desc diff_dst_md_, diff_src_md_, weights_nk_md_;
  dnnl::primitive bwd_data_;
  bool weight_grad_built_ = false;
  dnnl::memory::desc dw_top_md_, dw_bottom_md_, dw_md_;
  dnnl::primitive weight_grad_;
  int bwd_args_[3] = {};  // its top diff, weights and bottom diff arguments
};

}  // namespace

CREMA_REGISTER_LAYER_ENGINE("InnerProduct", "DNNL", kDnnlPriority,
                            DnnlInnerProductLayer);

}  // namespace dnnl_engine
}  // namespace crema
