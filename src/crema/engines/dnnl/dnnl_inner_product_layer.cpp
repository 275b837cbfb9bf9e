// InnerProduct on oneDNN: the forward product runs as a oneDNN inner
// product on the plain blobs (at batch 1 oneDNN uses a matrix-vector kernel
// where Caffe calls GEMM). The backward pass keeps the reference's BLAS
// calls, which accumulate straight into the parameter diffs with beta = 1
// and so need no gradient-sized scratch buffer (fc6 of VGG16 alone has
// 103M weights).
#include "crema/layer_registry.hpp"
#include "crema/layers/inner_product_layer.hpp"
#include "dnnl_common.hpp"

namespace crema {
namespace dnnl_engine {
namespace {

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
    if (m == m_ && k == k_ && n == n_) return;
    m_ = m;
    k_ = k;
    n_ = n;
    src_md_ = PlainDesc({m, k}, tag::nc);
    dst_md_ = PlainDesc({m, n}, tag::nc);
    // The weight blob is N x K, or K x N with transpose: io.
    weights_md_ = PlainDesc({n, k}, p.transpose() ? tag::io : tag::oi);
    bias_md_ = p.bias_term() ? PlainDesc({n}, tag::x) : dnnl::memory::desc();
    Build();
  }

  bool FuseReLU(float negative_slope) override {
    fuse_relu_ = true;
    relu_slope_ = negative_slope;
    if (m_ >= 0) Build();
    return true;
  }

 protected:
  void Forward_cpu(const std::vector<Blob*>& bottom,
                   const std::vector<Blob*>& top) override {
    std::unordered_map<int, dnnl::memory> args = {
        {DNNL_ARG_SRC, Wrap(src_md_, bottom[0]->cpu_data())},
        {DNNL_ARG_WEIGHTS, Wrap(weights_md_, blobs_[0]->cpu_data())},
        {DNNL_ARG_DST, Wrap(dst_md_, top[0]->mutable_cpu_data())}};
    if (blobs_.size() > 1) {
      args[DNNL_ARG_BIAS] = Wrap(bias_md_, blobs_[1]->cpu_data());
    }
    fwd_.execute(CpuStream(), args);
  }

 private:
  void Build() {
    const auto prop = phase_ == TEST ? dnnl::prop_kind::forward_inference
                                     : dnnl::prop_kind::forward_training;
    dnnl::inner_product_forward::desc desc(prop, src_md_, weights_md_,
                                           bias_md_, dst_md_);
    const dnnl::primitive_attr attr = ReLUPostOp(fuse_relu_, relu_slope_);
    fwd_ = dnnl::inner_product_forward(
        dnnl::inner_product_forward::primitive_desc(desc, attr, CpuEngine()));
  }

  bool fuse_relu_ = false;
  float relu_slope_ = 0.f;
  int m_ = -1, k_ = -1, n_ = -1;
  dnnl::memory::desc src_md_, weights_md_, bias_md_, dst_md_;
  dnnl::inner_product_forward fwd_;
};

}  // namespace

CREMA_REGISTER_LAYER_ENGINE("InnerProduct", "DNNL", kDnnlPriority,
                            DnnlInnerProductLayer);

}  // namespace dnnl_engine
}  // namespace crema
