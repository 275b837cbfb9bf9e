// Pooling (MAX and AVE) on oneDNN. The primitives run on the layout the
// input arrives in from the DNNL layer before (a plain input is reordered to
// a channel-blocked one first: oneDNN's plain pooling kernels are several
// times slower), and the output stays in the same layout.
//
// Caffe's ceil rule for the output size becomes extra right/bottom padding
// (padding_r). Caffe's AVE divisor counts the window clipped to the padded
// frame [-pad, in + pad), which is oneDNN's avg_include_padding when no
// window reaches past in + pad (padding_r <= pad), and avg_exclude_padding
// when there is no padding at all. Other cases, STOCHASTIC, the optional
// argmax top and windows that start outside the padded input run the
// reference layer.
#include "crema/layer_registry.hpp"
#include "crema/layers/pooling_layer.hpp"
#include "dnnl_common.hpp"

namespace crema {
namespace dnnl_engine {
namespace {

class DnnlPoolingLayer : public PoolingLayer {
 public:
  explicit DnnlPoolingLayer(const LayerParameter& param)
      : PoolingLayer(param) {}

  void Reshape(const std::vector<Blob*>& bottom,
               const std::vector<Blob*>& top) override {
    PoolingLayer::Reshape(bottom, top);
    const std::vector<int> key = {bottom[0]->num(), bottom[0]->channels(),
                                  bottom[0]->height(), bottom[0]->width(),
                                  static_cast<int>(top.size())};
    if (key == built_shape_) return;
    built_shape_ = key;
    supported_ = Geometry(bottom, top);
    ReportFallback(!supported_, "DNNL pools MAX or AVE into one top, without per-side "
                                "padding, where its windows match Caffe's.");
    built_ = false;
  }

  bool ReadsEngineLayouts() const override { return supported_; }

 protected:
  void Forward_cpu(const std::vector<Blob*>& bottom,
                   const std::vector<Blob*>& top) override {
    if (!supported_) return PoolingLayer::Forward_cpu(bottom, top);
    ScratchScope scratch;
    SyncedMemory& bottom_data = *bottom[0]->data();
    dnnl::memory::desc held = HeldDesc(bottom_data, src_md_);
    if (held == src_md_) held = BlockedDesc();
    if (!built_ || !(held == built_src_) || built_for_backward_ != backward_needed()) {
      Build(held);
    }
    SyncedMemory& top_data = *top[0]->data();
    std::unordered_map<int, dnnl::memory> args = {
        {DNNL_ARG_SRC, src_.Read(bottom_data)},
        {DNNL_ARG_DST, dst_.Target(top_data)}};
    if (workspace_) args[DNNL_ARG_WORKSPACE] = workspace_;
    fwd_.execute(CpuStream(), args);
  }

  void Backward_cpu(const std::vector<Blob*>& top,
                    const std::vector<bool>& propagate_down,
                    const std::vector<Blob*>& bottom) override {
    if (!supported_) {
      return PoolingLayer::Backward_cpu(top, propagate_down, bottom);
    }
    if (!propagate_down[0]) return;
    // The primitives of the last forward pass (MAX's workspace is theirs).
    if (!built_) Fail("Backward needs a Forward pass first.");
    if (!bwd_) Fail("was built for inference only; its net runs no backward through it.");
    ScratchScope scratch;
    SyncedMemory& bottom_diff = *bottom[0]->diff();
    std::unordered_map<int, dnnl::memory> args = {
        {DNNL_ARG_DIFF_DST, diff_dst_.Read(*top[0]->diff())},
        {DNNL_ARG_DIFF_SRC, diff_src_.Target(bottom_diff)}};
    if (workspace_) args[DNNL_ARG_WORKSPACE] = workspace_;
    bwd_.execute(CpuStream(), args);
  }

 private:
  // Checks that oneDNN computes what Caffe does and keeps the geometry.
  bool Geometry(const std::vector<Blob*>& bottom, const std::vector<Blob*>& top);
  // The primitives for an input held in `src`.
  void Build(const dnnl::memory::desc& src);
  // The channel-blocked layout a plain input is reordered to.
  dnnl::memory::desc BlockedDesc() const;


  bool supported_ = false;
  std::vector<int> built_shape_;
  dnnl::algorithm alg_ = dnnl::algorithm::pooling_max;
  dims strides_, kernel_, pad_l_, pad_r_;
  dnnl::memory::desc src_md_, dst_md_;  // plain
  bool built_ = false;
  bool built_for_backward_ = true;
  dnnl::memory::desc built_src_;        // the layout the primitives run on
  Reader src_, diff_dst_;
  Writer dst_, diff_src_;
  dnnl::pooling_forward fwd_;
  dnnl::pooling_backward bwd_;
  dnnl::memory workspace_;
};

bool DnnlPoolingLayer::Geometry(const std::vector<Blob*>& bottom,
                             const std::vector<Blob*>& top) {
  const PoolingParameter& p = layer_param_.pooling_param();
  if (top.size() != 1) return false;
  // Per-side (asymmetric) padding is left to the reference engine.
  if (p.has_pad_t() || p.has_pad_b() || p.has_pad_l() || p.has_pad_r()) return false;
  if (p.pool() != PoolingParameter::MAX && p.pool() != PoolingParameter::AVE) {
    return false;
  }
  const int in[2] = {bottom[0]->height(), bottom[0]->width()};
  const int out[2] = {top[0]->height(), top[0]->width()};
  int kernel[2], stride[2], pad[2];
  if (p.global_pooling()) {
    kernel[0] = in[0];
    kernel[1] = in[1];
  } else if (p.has_kernel_size()) {
    kernel[0] = kernel[1] = static_cast<int>(p.kernel_size());
  } else {
    kernel[0] = static_cast<int>(p.kernel_h());
    kernel[1] = static_cast<int>(p.kernel_w());
  }
  pad[0] = static_cast<int>(p.has_pad_h() ? p.pad_h() : p.pad());
  pad[1] = static_cast<int>(p.has_pad_w() ? p.pad_w() : p.pad());
  stride[0] = static_cast<int>(p.has_stride_h() ? p.stride_h() : p.stride());
  stride[1] = static_cast<int>(p.has_stride_w() ? p.stride_w() : p.stride());
  const bool any_pad = pad[0] != 0 || pad[1] != 0;
  dims pad_r(2);
  bool include_padding_matches = true;
  for (int a = 0; a < 2; ++a) {
    const int last_start = (out[a] - 1) * stride[a] - pad[a];
    // A window that starts past the input is empty; Caffe's output there
    // (-FLT_MAX or 0 / size) is left to the reference.
    if (last_start >= in[a]) return false;
    pad_r[a] = last_start + kernel[a] - in[a];
    if (pad_r[a] < 0) pad_r[a] = 0;  // the last window ends inside the input
    if (pad_r[a] > pad[a]) include_padding_matches = false;
    if (pad_r[a] >= kernel[a]) return false;
  }
  dnnl::algorithm alg = dnnl::algorithm::pooling_max;
  if (p.pool() == PoolingParameter::AVE) {
    if (!any_pad) {
      alg = dnnl::algorithm::pooling_avg_exclude_padding;
    } else if (include_padding_matches) {
      alg = dnnl::algorithm::pooling_avg_include_padding;
    } else {
      return false;
    }
  }
  const int n = bottom[0]->num(), c = bottom[0]->channels();
  src_md_ = PlainDesc({n, c, in[0], in[1]}, tag::nchw);
  dst_md_ = PlainDesc({n, c, out[0], out[1]}, tag::nchw);
  alg_ = alg;
  strides_ = {stride[0], stride[1]};
  kernel_ = {kernel[0], kernel[1]};
  pad_l_ = {pad[0], pad[1]};
  pad_r_ = pad_r;
  return true;
}

dnnl::memory::desc DnnlPoolingLayer::BlockedDesc() const {
  const dims d = src_md_.dims();
  if (d[1] % 16 == 0) return PlainDesc(d, tag::nChw16c);
  if (d[1] % 8 == 0) return PlainDesc(d, tag::nChw8c);
  return src_md_;
}

void DnnlPoolingLayer::Build(const dnnl::memory::desc& src) {
  // By the phase alone, not: a TEST-phase net timed with backward
  // (tools/time) still needs MAX's workspace. A layer the net never runs
  // backward needs none.
  const auto prop = backward_needed() ? dnnl::prop_kind::forward_training
                                      : dnnl::prop_kind::forward_inference;
  dnnl::pooling_forward::desc fwd_desc(prop, alg_, src, AnyDesc(dst_md_.dims()),
                                       strides_, kernel_, pad_l_, pad_r_);
  dnnl::pooling_forward::primitive_desc fwd_pd(fwd_desc, CpuEngine());
  fwd_ = dnnl::pooling_forward(fwd_pd);
  workspace_ = fwd_pd.workspace_desc().get_size() > 0
                   ? dnnl::memory(fwd_pd.workspace_desc(), CpuEngine())
                   : dnnl::memory();
  bwd_ = dnnl::pooling_backward();
  if (backward_needed()) {
    dnnl::pooling_backward::desc bwd_desc(alg_, src, fwd_pd.dst_desc(), strides_,
                                          kernel_, pad_l_, pad_r_);
    bwd_ = dnnl::pooling_backward(
        dnnl::pooling_backward::primitive_desc(bwd_desc, CpuEngine(), fwd_pd));
  }
  built_for_backward_ = backward_needed();
  src_.Init(src_md_, src);
  dst_.Init(dst_md_, fwd_pd.dst_desc());
  diff_dst_.Init(dst_md_, fwd_pd.dst_desc());
  diff_src_.Init(src_md_, src);
  built_src_ = src;
  built_ = true;
}

}  // namespace

CREMA_REGISTER_LAYER_ENGINE("Pooling", "DNNL", kDnnlPriority,
                            DnnlPoolingLayer);

}  // namespace dnnl_engine
}  // namespace crema
