// Pooling (MAX and AVE) on oneDNN, on the plain NCHW blobs.
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
    supported_ = Build(bottom, top);
  }

 protected:
  void Forward_cpu(const std::vector<Blob*>& bottom,
                   const std::vector<Blob*>& top) override {
    if (!supported_) return PoolingLayer::Forward_cpu(bottom, top);
    std::unordered_map<int, dnnl::memory> args = {
        {DNNL_ARG_SRC, Wrap(src_md_, bottom[0]->cpu_data())},
        {DNNL_ARG_DST, Wrap(dst_md_, top[0]->mutable_cpu_data())}};
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
    std::unordered_map<int, dnnl::memory> args = {
        {DNNL_ARG_DIFF_DST, Wrap(dst_md_, top[0]->cpu_diff())},
        {DNNL_ARG_DIFF_SRC, Wrap(src_md_, bottom[0]->mutable_cpu_diff())}};
    if (workspace_) args[DNNL_ARG_WORKSPACE] = workspace_;
    bwd_.execute(CpuStream(), args);
  }

 private:
  bool Build(const std::vector<Blob*>& bottom, const std::vector<Blob*>& top);

  bool supported_ = false;
  std::vector<int> built_shape_;
  dnnl::memory::desc src_md_, dst_md_;
  dnnl::pooling_forward fwd_;
  dnnl::pooling_backward bwd_;
  dnnl::memory workspace_;
};

bool DnnlPoolingLayer::Build(const std::vector<Blob*>& bottom,
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
  // Training everywhere: a TEST-phase net timed with backward (tools/time)
  // still needs MAX's workspace.
  dnnl::pooling_forward::desc fwd_desc(
      dnnl::prop_kind::forward_training, alg, src_md_, dst_md_,
      {stride[0], stride[1]}, {kernel[0], kernel[1]}, {pad[0], pad[1]}, pad_r);
  dnnl::pooling_forward::primitive_desc fwd_pd(fwd_desc, CpuEngine());
  fwd_ = dnnl::pooling_forward(fwd_pd);
  workspace_ = fwd_pd.workspace_desc().get_size() > 0
                   ? dnnl::memory(fwd_pd.workspace_desc(), CpuEngine())
                   : dnnl::memory();
  dnnl::pooling_backward::desc bwd_desc(
      alg, src_md_, dst_md_, {stride[0], stride[1]}, {kernel[0], kernel[1]},
      {pad[0], pad[1]}, pad_r);
  bwd_ = dnnl::pooling_backward(
      dnnl::pooling_backward::primitive_desc(bwd_desc, CpuEngine(), fwd_pd));
  return true;
}

}  // namespace

CREMA_REGISTER_LAYER_ENGINE("Pooling", "DNNL", kDnnlPriority,
                            DnnlPoolingLayer);

}  // namespace dnnl_engine
}  // namespace crema
