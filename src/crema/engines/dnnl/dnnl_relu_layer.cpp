// ReLU on oneDNN: a vectorized, threaded element-wise primitive that runs on
// whatever layout its input arrives in (a blocked one from the DNNL layer
// before stays blocked). The backward pass reads the output
// (relu_use_dst_for_bwd), which is also what an in-place ReLU leaves in its
// bottom. Leaky ReLU with a negative slope cannot be inverted from the
// output's sign and runs the reference.
#include "crema/layer_registry.hpp"
#include "crema/layers/relu_layer.hpp"
#include "dnnl_common.hpp"

namespace crema {
namespace dnnl_engine {
namespace {

class DnnlReLULayer : public ReLULayer {
 public:
  explicit DnnlReLULayer(const LayerParameter& param) : ReLULayer(param) {}

  void Reshape(const std::vector<Blob*>& bottom,
               const std::vector<Blob*>& top) override {
    ReLULayer::Reshape(bottom, top);
    slope_ = layer_param_.relu_param().negative_slope();
    supported_ = slope_ >= 0.f && bottom[0]->count() > 0;
    ReportFallback(!supported_, "DNNL runs a non-negative slope on a non-empty bottom only.");
    if (!supported_ || bottom[0]->shape() == shape_) return;
    shape_ = bottom[0]->shape();
    plain_ = RowMajorDesc(shape_);
    built_ = false;
  }

  bool ReadsEngineLayouts() const override { return supported_; }

 protected:
  void Forward_cpu(const std::vector<Blob*>& bottom,
                   const std::vector<Blob*>& top) override {
    if (!supported_) return ReLULayer::Forward_cpu(bottom, top);
    SyncedMemory& bottom_data = *bottom[0]->data();
    Build(HeldDesc(bottom_data, plain_));
    SyncedMemory& top_data = *top[0]->data();
    // In place, the output goes where the input is, in its layout.
    dnnl::memory src = Wrap(md_, HeldData(bottom_data, md_, plain_));
    fwd_.execute(CpuStream(), {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst_.Target(top_data)}});
  }

  void Backward_cpu(const std::vector<Blob*>& top,
                    const std::vector<bool>& propagate_down,
                    const std::vector<Blob*>& bottom) override {
    if (!supported_) return ReLULayer::Backward_cpu(top, propagate_down, bottom);
    if (!propagate_down[0]) return;
    ScratchScope scratch;
    SyncedMemory& top_data = *top[0]->data();
    Build(HeldDesc(top_data, plain_));
    SyncedMemory& bottom_diff = *bottom[0]->diff();
    // Read the top diff before targeting the bottom diff: in place they are
    // one memory, and the read may need its values moved to scratch first.
    dnnl::memory diff_dst = diff_dst_.Read(*top[0]->diff());
    dnnl::memory dst = Wrap(md_, HeldData(top_data, md_, plain_));
    bwd_.execute(CpuStream(), {{DNNL_ARG_DST, dst},
                               {DNNL_ARG_DIFF_DST, diff_dst},
                               {DNNL_ARG_DIFF_SRC, diff_src_.Target(bottom_diff)}});
  }

 private:
  // The primitives for tensors held in `md`.
  void Build(const dnnl::memory::desc& md) {
    if (built_ && md == md_) return;
    md_ = md;
    const auto alg = dnnl::algorithm::eltwise_relu_use_dst_for_bwd;
    dnnl::eltwise_forward::desc fwd_desc(dnnl::prop_kind::forward_training, alg, md_, slope_);
    dnnl::eltwise_forward::primitive_desc fwd_pd(fwd_desc, CpuEngine());
    fwd_ = dnnl::eltwise_forward(fwd_pd);
    dnnl::eltwise_backward::desc bwd_desc(alg, md_, md_, slope_);
    bwd_ = dnnl::eltwise_backward(
        dnnl::eltwise_backward::primitive_desc(bwd_desc, CpuEngine(), fwd_pd));
    dst_.Init(plain_, md_);
    diff_dst_.Init(plain_, md_);
    diff_src_.Init(plain_, md_);
    built_ = true;
  }

  float slope_ = 0.f;
  bool supported_ = false;
  bool built_ = false;
  std::vector<int> shape_;
  dnnl::memory::desc plain_, md_;
  Writer dst_, diff_src_;
  Reader diff_dst_;
  dnnl::eltwise_forward fwd_;
  dnnl::eltwise_backward bwd_;
};

}  // namespace

CREMA_REGISTER_LAYER_ENGINE("ReLU", "DNNL", kDnnlPriority, DnnlReLULayer);

}  // namespace dnnl_engine
}  // namespace crema
