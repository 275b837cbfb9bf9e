// LRN across channels on oneDNN. oneDNN's definition matches Caffe's:
// y = x * (k + alpha / local_size * sum of x^2 over local_size channels)^-beta.
// WITHIN_CHANNEL runs the reference.
//
// oneDNN's fast LRN kernels work on channel-blocked layouts (its kernels
// for plain NCHW, the backward one above all, are far slower), so the
// primitives run on nChw8c: the input is reordered to it unless it arrives
// so, and the output stays in it for the next DNNL layer.
#include "crema/layer_registry.hpp"
#include "crema/layers/lrn_layer.hpp"
#include "dnnl_common.hpp"

namespace crema {
namespace dnnl_engine {
namespace {

class DnnlLRNLayer : public LRNLayer {
 public:
  explicit DnnlLRNLayer(const LayerParameter& param) : LRNLayer(param) {}

  void Reshape(const std::vector<Blob*>& bottom,
               const std::vector<Blob*>& top) override {
    LRNLayer::Reshape(bottom, top);
    const LRNParameter& p = layer_param_.lrn_param();
    supported_ = p.norm_region() == LRNParameter::ACROSS_CHANNELS &&
                 bottom[0]->count() > 0;
    if (!supported_) return;
    if (bottom[0]->shape() == built_shape_ && built_for_backward_ == backward_needed()) return;
    built_shape_ = bottom[0]->shape();
    built_for_backward_ = backward_needed();
    const dims shape = ToDims(built_shape_);
    const dnnl::memory::desc plain = PlainDesc(shape, tag::nchw);
    const int channels = built_shape_.size() > 1 ? built_shape_[1] : 1;
    // nChw8c: oneDNN 2.6 has no fast kernel for nChw16c LRN on AVX-512
    // machines and falls back to its reference there.
    md_ = built_shape_.size() == 4 && channels % 8 == 0 ? PlainDesc(shape, tag::nChw8c)
                                                        : plain;
    src_.Init(plain, md_, kSrcSlot);
    dst_.Init(plain, md_, kDstSlot);
    diff_dst_.Init(plain, md_, kDiffDstSlot);
    diff_src_.Init(plain, md_, kDstSlot);
    const auto alg = dnnl::algorithm::lrn_across_channels;
    const int size = static_cast<int>(p.local_size());
    // A layer the net never runs backward needs no workspace.
    const auto prop = backward_needed() ? dnnl::prop_kind::forward_training
                                        : dnnl::prop_kind::forward_inference;
    dnnl::lrn_forward::desc fwd_desc(prop, alg, md_, size, p.alpha(), p.beta(), p.k());
    dnnl::lrn_forward::primitive_desc fwd_pd(fwd_desc, CpuEngine());
    fwd_ = dnnl::lrn_forward(fwd_pd);
    workspace_ = fwd_pd.workspace_desc().get_size() > 0
                     ? dnnl::memory(fwd_pd.workspace_desc(), CpuEngine())
                     : dnnl::memory();
    bwd_ = dnnl::lrn_backward();
    if (!backward_needed()) return;
    dnnl::lrn_backward::desc bwd_desc(alg, md_, md_, size, p.alpha(),
                                      p.beta(), p.k());
    bwd_ = dnnl::lrn_backward(
        dnnl::lrn_backward::primitive_desc(bwd_desc, CpuEngine(), fwd_pd));
  }

 protected:
  void Forward_cpu(const std::vector<Blob*>& bottom,
                   const std::vector<Blob*>& top) override {
    if (!supported_) return LRNLayer::Forward_cpu(bottom, top);
    SyncedMemory& top_data = *top[0]->data();
    std::unordered_map<int, dnnl::memory> args = {
        {DNNL_ARG_SRC, src_.Read(*bottom[0]->data())},
        {DNNL_ARG_DST, dst_.Target(top_data)}};
    if (workspace_) args[DNNL_ARG_WORKSPACE] = workspace_;
    fwd_.execute(CpuStream(), args);
    dst_.Finish(top_data);
  }
  void Backward_cpu(const std::vector<Blob*>& top,
                    const std::vector<bool>& propagate_down,
                    const std::vector<Blob*>& bottom) override {
    if (!supported_) {
      return LRNLayer::Backward_cpu(top, propagate_down, bottom);
    }
    if (!propagate_down[0]) return;
    if (!bwd_) Fail("was built for inference only; its net runs no backward through it.");
    SyncedMemory& bottom_diff = *bottom[0]->diff();
    std::unordered_map<int, dnnl::memory> args = {
        {DNNL_ARG_SRC, src_.Read(*bottom[0]->data())},
        {DNNL_ARG_DIFF_DST, diff_dst_.Read(*top[0]->diff())},
        {DNNL_ARG_DIFF_SRC, diff_src_.Target(bottom_diff)}};
    if (workspace_) args[DNNL_ARG_WORKSPACE] = workspace_;
    bwd_.execute(CpuStream(), args);
    diff_src_.Finish(bottom_diff);
  }

 private:
  static constexpr int kSrcSlot = 0, kDstSlot = 2, kDiffDstSlot = 3;

  Reader src_, diff_dst_;
  Writer dst_, diff_src_;
  bool supported_ = false;
  std::vector<int> built_shape_;
  bool built_for_backward_ = true;
  dnnl::memory::desc md_;
  dnnl::lrn_forward fwd_;
  dnnl::lrn_backward bwd_;
  dnnl::memory workspace_;
};

}  // namespace

CREMA_REGISTER_LAYER_ENGINE("LRN", "DNNL", kDnnlPriority, DnnlLRNLayer);

}  // namespace dnnl_engine
}  // namespace crema
