// Shared pieces of the oneDNN (DNNL) engine: the CPU engine and stream, plain
// memory descriptors for Caffe's row-major blobs, and Reader and Writer,
// which move tensors between blob memory and the layouts primitives prefer.
//
// oneDNN's model is "describe once, execute many times": layers build their
// primitive descriptors and primitives when the shapes change (Reshape) and
// only wrap the blobs' current pointers in memory objects per call.
#ifndef CREMA_ENGINES_DNNL_DNNL_COMMON_HPP_
#define CREMA_ENGINES_DNNL_DNNL_COMMON_HPP_

#include <oneapi/dnnl/dnnl.hpp>

#include <memory>
#include <vector>

#include "crema/syncedmem.hpp"

namespace crema {
namespace dnnl_engine {

using tag = dnnl::memory::format_tag;
using dims = dnnl::memory::dims;

inline constexpr int kDnnlPriority = 10;  // above the reference (CAFFE, 0)

dnnl::engine& CpuEngine();
dnnl::stream& CpuStream();

inline dims ToDims(const std::vector<int>& shape) {
  return dims(shape.begin(), shape.end());
}

inline dnnl::memory::desc PlainDesc(const dims& d, tag t) {
  return dnnl::memory::desc(d, dnnl::memory::data_type::f32, t);
}
inline dnnl::memory::desc AnyDesc(const dims& d) {
  return dnnl::memory::desc(d, dnnl::memory::data_type::f32, tag::any);
}

// The plain row-major descriptor of a blob of any number of axes.
dnnl::memory::desc RowMajorDesc(const std::vector<int>& shape);
// A plain (strided) descriptor's dimensions and strides, in another type.
inline dnnl::memory::desc SameOrder(const dnnl::memory::desc& plain,
                                    dnnl::memory::data_type type) {
  const dnnl_blocking_desc_t& b = plain.data.format_desc.blocking;
  return dnnl::memory::desc(plain.dims(), type,
                            dnnl::memory::dims(b.strides, b.strides + plain.data.ndims));
}

// Primitive attributes that apply a (leaky) ReLU to the output when `fuse`.
dnnl::primitive_attr ReLUPostOp(bool fuse, float negative_slope);

// Wraps a blob's buffer (not owned) as a oneDNN memory.
inline dnnl::memory Wrap(const dnnl::memory::desc& md, const float* ptr) {
  return dnnl::memory(md, CpuEngine(), const_cast<float*>(ptr));
}

// Scratch memory: the reordered copies a primitive needs only while it
// runs. The engine owns one pool per thread; a layer opens a ScratchScope
// around its work, and every buffer taken from the pool inside it goes back
// at the scope's end, for the next layer to reuse. The pool keeps as many
// buffers as were ever in use at once, each as large as it was ever asked
// to be, so one set serves every layer of every net on the thread.
class ScratchPool {
 public:
  ScratchPool() = default;
  ScratchPool(const ScratchPool&) = delete;
  ScratchPool& operator=(const ScratchPool&) = delete;
  ~ScratchPool();

  static ScratchPool& ThisThread();

  // A buffer of at least `bytes`, valid until the innermost open scope
  // ends. `keep` false: freed then instead of kept (a one-off large copy).
  void* Take(size_t bytes, bool keep = true);
  // Bytes the pool holds now, in use or not.
  size_t held_bytes() const;

 private:
  friend class ScratchScope;
  struct Buffer {
    void* data = nullptr;
    size_t bytes = 0;
    bool in_use = false;
    bool keep = true;
    int scope = 0;  // the scope depth it was taken at
  };
  void EndScope(int depth);

  std::vector<Buffer> buffers_;
  int depth_ = 0;
};

class ScratchScope {
 public:
  ScratchScope() : pool_(ScratchPool::ThisThread()) { depth_ = ++pool_.depth_; }
  ~ScratchScope() { pool_.EndScope(depth_); }
  ScratchScope(const ScratchScope&) = delete;
  ScratchScope& operator=(const ScratchScope&) = delete;

 private:
  ScratchPool& pool_;
  int depth_;
};

// Layout propagation. A DNNL layer leaves its output in the blob's memory in
// the layout its primitive produced (a DnnlLayout), and the next DNNL layer
// reads it from there as it is, or reorders it if it wants another one.
// DNNL layers that read such layouts say so (Layer::ReadsEngineLayouts);
// before any other layer, and at the end of a net's pass, the values are
// converted back to plain (syncedmem.hpp), so blocked layouts never escape a
// run of DNNL layers.
class DnnlLayout : public EngineLayout {
 public:
  DnnlLayout(const dnnl::memory::desc& md, const dnnl::memory::desc& plain);
  size_t bytes() const override { return md_.get_size(); }
  size_t plain_bytes() const override { return plain_.get_size(); }
  void ToPlain(const void* src, void* dst) const override;
  // Block by block where the layout allows (weights with dimension 0
  // outermost), else through pool scratch.
  void ToPlainInPlace(void* buffer) const override;
  const dnnl::memory::desc& desc() const { return md_; }

 private:
  dnnl::memory::desc md_, plain_;
  dnnl::reorder to_plain_;
};

// The layout `mem` holds its values in now, for a tensor whose plain
// descriptor is `plain`: a DnnlLayout's descriptor when it has plain's
// dimensions, else plain (converting the memory back to plain first when it
// held something else).
dnnl::memory::desc HeldDesc(SyncedMemory& mem, const dnnl::memory::desc& plain);
// Where the values in `held` (as HeldDesc returned it) are.
const float* HeldData(SyncedMemory& mem, const dnnl::memory::desc& held,
                      const dnnl::memory::desc& plain);

// Reads a tensor (a blob's data or diff memory) in the layout a primitive
// wants: the memory itself when it holds that layout, else a copy reordered
// into pool scratch (valid until the caller's ScratchScope ends).
class Reader {
 public:
  // `attr` applies to the reorder (an int8 input's scale).
  void Init(const dnnl::memory::desc& plain, const dnnl::memory::desc& want,
            const dnnl::primitive_attr& attr = dnnl::primitive_attr());
  const dnnl::memory::desc& want() const { return want_; }
  dnnl::memory Read(SyncedMemory& mem);
  // Like Read, into a buffer of the reader's own that keeps the result
  // until the next call: a forward pass's converted input, for the backward
  // pass to reuse while the input has not changed (Keeps).
  dnnl::memory ReadKept(SyncedMemory& mem);
  bool Keeps(const SyncedMemory& mem) const {
    return kept_from_ == &mem && kept_version_ == mem.version();
  }
  const dnnl::memory& kept() const { return kept_; }
  // Like Read, but leaves the memory holding the wanted layout, so the next
  // call reads it as it is: for weights that stay put between passes
  // (inference, frozen layers). The layout takes the plain values' place
  // (they are converted back at the end of a net's pass, or before a layer
  // that reads plain weights), or, for memory marked keep_plain, lives
  // beside them.
  dnnl::memory Adopt(SyncedMemory& mem);

 private:
  // Adopt by reordering the memory where it is; false when the layouts do
  // not allow it (the memory is left as it was).
  bool AdoptInPlace(SyncedMemory& mem);
  dnnl::memory Read(SyncedMemory& mem, bool keep_scratch);
  // Converts `from` (held in from_) into `to` (want_).
  void Convert(dnnl::memory from, dnnl::memory to);

  dnnl::memory::desc plain_, want_, from_;
  dnnl::primitive_attr attr_;
  bool unscaled_ = true;  // attr_ has no scale: a plain type conversion
  dnnl::memory kept_;
  const SyncedMemory* kept_from_ = nullptr;
  uint64_t kept_version_ = 0;
  dnnl::reorder reorder_;
  std::shared_ptr<const DnnlLayout> layout_;  // want_, for Adopt
};

// Writes a primitive's result into a tensor's memory in the layout the
// primitive produces: Target() gives the memory to execute into. The
// primitive overwrites the whole tensor, so what the memory held before is
// dropped unread.
class Writer {
 public:
  void Init(const dnnl::memory::desc& plain, const dnnl::memory::desc& produced);
  const dnnl::memory::desc& produced() const { return produced_; }
  dnnl::memory Target(SyncedMemory& mem);

 private:
  dnnl::memory::desc plain_, produced_;
  std::shared_ptr<const DnnlLayout> layout_;  // null when produced is plain
};

// Rows of dimension 0 that one step of an in-place reorder between `plain`
// and `blocked` moves, or 0 when it cannot be done in place (see the .cpp).
int64_t InPlaceRows(const dnnl::memory::desc& plain, const dnnl::memory::desc& blocked);
// Reorders the tensor at `values` from `from` to `to` where it is, `rows`
// rows of dimension 0 at a time, through a small pool buffer.
void ReorderRowsInPlace(const dnnl::memory::desc& from, const dnnl::memory::desc& to,
                        int64_t rows, void* values);

// dst (plain, at ptr) = src (in src's layout) + beta * dst, beta 1 or 0: a
// reorder with a sum post-op, so parameter gradients accumulate as Caffe's
// solvers expect, or a plain reorder over a diff with nothing in it yet.
class Accumulator {
 public:
  void Init(const dnnl::memory::desc& src, const dnnl::memory::desc& plain_dst);
  void Add(dnnl::memory& src, float* dst, float beta = 1.f);

 private:
  dnnl::memory::desc dst_md_;
  dnnl::reorder add_, copy_;
};

}  // namespace dnnl_engine
}  // namespace crema

#endif  // CREMA_ENGINES_DNNL_DNNL_COMMON_HPP_
