// InnerProduct on oneDNN. The forward product runs as a oneDNN inner
// product while the batch is tiny (at batch 1 it is a matrix-vector kernel
// where Caffe calls GEMM) and as a oneDNN matmul above that: with Caffe's
// plain N x K weights, oneDNN's inner product falls back to a GEMM that is
// slow for a few dozen rows (AlexNet's fc6 at batch 16: ~5x slower than the
// matmul), while the matmul reads the same weights through strides. The
// bottom diff is a matmul too. The weight and bias gradients keep the
// reference's BLAS calls, which accumulate straight into the parameter diffs
// with beta = 1 and so need no gradient-sized scratch buffer (fc6 of VGG16
// alone has 103M weights); for these shapes they are as fast as oneDNN's.
// Every primitive uses the blobs' own plain memory: no reorders.
#include "crema/layer_registry.hpp"
#include "crema/layers/inner_product_layer.hpp"
#include "dnnl_common.hpp"

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
    if (m == m_ && k == k_ && n == n_) return;
    m_ = m;
    k_ = k;
    n_ = n;
    BuildForward();
    backward_built_ = false;
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
    std::unordered_map<int, dnnl::memory> args = {
        {DNNL_ARG_SRC, Wrap(src_md_, bottom[0]->cpu_data())},
        {DNNL_ARG_WEIGHTS, Wrap(weights_md_, blobs_[0]->cpu_data())},
        {DNNL_ARG_DST, Wrap(dst_md_, top[0]->mutable_cpu_data())}};
    if (blobs_.size() > 1) {
      args[DNNL_ARG_BIAS] = Wrap(bias_md_, blobs_[1]->cpu_data());
    }
    fwd_.execute(CpuStream(), args);
  }

  void Backward_cpu(const std::vector<Blob*>& top,
                    const std::vector<bool>& propagate_down,
                    const std::vector<Blob*>& bottom) override {
    // Parameter gradients: the reference's accumulating BLAS calls.
    InnerProductLayer::Backward_cpu(top, {false}, bottom);
    if (!propagate_down[0]) return;
    if (!backward_built_) BuildBackward();
    // bottom diff (M x K) = top diff (M x N) * W (N x K).
    bwd_data_.execute(
        CpuStream(),
        {{DNNL_ARG_SRC, Wrap(diff_dst_md_, top[0]->cpu_diff())},
         {DNNL_ARG_WEIGHTS, Wrap(weights_nk_md_, blobs_[0]->cpu_data())},
         {DNNL_ARG_DST, Wrap(diff_src_md_, bottom[0]->mutable_cpu_diff())}});
  }

 private:
  bool transposed() const { return layer_param_.inner_product_param().transpose(); }

  void BuildForward() {
    const bool bias = layer_param_.inner_product_param().bias_term();
    const dnnl::primitive_attr attr = ReLUPostOp(fuse_relu_, relu_slope_);
    if (m_ <= kMaxInnerProductRows) {
      src_md_ = PlainDesc({m_, k_}, tag::nc);
      dst_md_ = PlainDesc({m_, n_}, tag::nc);
      // The weight blob is N x K, or K x N with transpose: io.
      weights_md_ = PlainDesc({n_, k_}, transposed() ? tag::io : tag::oi);
      bias_md_ = bias ? PlainDesc({n_}, tag::x) : dnnl::memory::desc();
      const auto prop = phase_ == TEST ? dnnl::prop_kind::forward_inference
                                       : dnnl::prop_kind::forward_training;
      dnnl::inner_product_forward::desc desc(prop, src_md_, weights_md_,
                                             bias_md_, dst_md_);
      fwd_ = dnnl::inner_product_forward(
          dnnl::inner_product_forward::primitive_desc(desc, attr, CpuEngine()));
      return;
    }
    // top (M x N) = bottom (M x K) * W^T, W^T being K x N: the N x K blob
    // read column-major (ba), or the K x N blob of transpose as it is.
    src_md_ = PlainDesc({m_, k_}, tag::ab);
    dst_md_ = PlainDesc({m_, n_}, tag::ab);
    weights_md_ = PlainDesc({k_, n_}, transposed() ? tag::ab : tag::ba);
    bias_md_ = bias ? PlainDesc({1, n_}, tag::ab) : dnnl::memory::desc();
    dnnl::matmul::desc desc(src_md_, weights_md_, bias_md_, dst_md_);
    fwd_ = dnnl::matmul(dnnl::matmul::primitive_desc(desc, attr, CpuEngine()));
  }

  void BuildBackward() {
    diff_dst_md_ = PlainDesc({m_, n_}, tag::ab);
    diff_src_md_ = PlainDesc({m_, k_}, tag::ab);
    weights_nk_md_ = PlainDesc({n_, k_}, transposed() ? tag::ba : tag::ab);
    dnnl::matmul::desc desc(diff_dst_md_, weights_nk_md_, diff_src_md_);
    bwd_data_ = dnnl::matmul(dnnl::matmul::primitive_desc(desc, CpuEngine()));
    backward_built_ = true;
  }

  bool fuse_relu_ = false;
  float relu_slope_ = 0.f;
  int m_ = -1, k_ = -1, n_ = -1;
  dnnl::memory::desc src_md_, weights_md_, bias_md_, dst_md_;
  dnnl::primitive fwd_;
  bool backward_built_ = false;
  dnnl::memory::desc diff_dst_md_, diff_src_md_, weights_nk_md_;
  dnnl::primitive bwd_data_;
};

}  // namespace

CREMA_REGISTER_LAYER_ENGINE("InnerProduct", "DNNL", kDnnlPriority,
                            DnnlInnerProductLayer);

}  // namespace dnnl_engine
}  // namespace crema
