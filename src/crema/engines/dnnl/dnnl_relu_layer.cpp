// ReLU on oneDNN: a vectorized, threaded element-wise primitive. The
// backward pass reads the output (relu_use_dst_for_bwd), which is also what
// an in-place ReLU leaves in its bottom. Leaky ReLU with a negative slope
// cannot be inverted from the output's sign and runs the reference.
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
    const int count = bottom[0]->count();
    if (!supported_ || count == count_) return;
    count_ = count;
    md_ = PlainDesc({count}, tag::a);
    const auto alg = dnnl::algorithm::eltwise_relu_use_dst_for_bwd;
    dnnl::eltwise_forward::desc fwd_desc(dnnl::prop_kind::forward_training,
                                         alg, md_, slope_);
    dnnl::eltwise_forward::primitive_desc fwd_pd(fwd_desc, CpuEngine());
    fwd_ = dnnl::eltwise_forward(fwd_pd);
    dnnl::eltwise_backward::desc bwd_desc(alg, md_, md_, slope_);
    bwd_ = dnnl::eltwise_backward(
        dnnl::eltwise_backward::primitive_desc(bwd_desc, CpuEngine(), fwd_pd));
  }

 protected:
  void Forward_cpu(const std::vector<Blob*>& bottom,
                   const std::vector<Blob*>& top) override {
    if (!supported_) {
      return ReLULayer::Forward_cpu(bottom, top);
    }
    fwd_.execute(CpuStream(),
                 {{DNNL_ARG_SRC, Wrap(md_, bottom[0]->cpu_data())},
                  {DNNL_ARG_DST, Wrap(md_, top[0]->mutable_cpu_data())}});
  }
  void Backward_cpu(const std::vector<Blob*>& top,
                    const std::vector<bool>& propagate_down,
                    const std::vector<Blob*>& bottom) override {
    if (!supported_) {
      return ReLULayer::Backward_cpu(top, propagate_down, bottom);
    }
    if (!propagate_down[0]) return;
    bwd_.execute(CpuStream(),
                 {{DNNL_ARG_DST, Wrap(md_, top[0]->cpu_data())},
                  {DNNL_ARG_DIFF_DST, Wrap(md_, top[0]->cpu_diff())},
                  {DNNL_ARG_DIFF_SRC,
                   Wrap(md_, bottom[0]->mutable_cpu_diff())}});
  }

 private:
  float slope_ = 0.f;
  bool supported_ = false;
  int count_ = -1;
  dnnl::memory::desc md_;
  dnnl::eltwise_forward fwd_;
  dnnl::eltwise_backward bwd_;
};

}  // namespace

CREMA_REGISTER_LAYER_ENGINE("ReLU", "DNNL", kDnnlPriority, DnnlReLULayer);

}  // namespace dnnl_engine
}  // namespace crema
