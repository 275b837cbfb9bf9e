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

// Primitive attributes that apply a (leaky) ReLU to the output when `fuse`.
dnnl::primitive_attr ReLUPostOp(bool fuse, float negative_slope);

// Wraps a blob's buffer (not owned) as a oneDNN memory.
inline dnnl::memory Wrap(const dnnl::memory::desc& md, const float* ptr) {
  return dnnl::memory(md, CpuEngine(), const_cast<float*>(ptr));
}

// Scratch memory shared by every DNNL layer on this thread. A layer needs
// its reordered copies only while it runs, so one buffer per slot serves
// all layers of all nets, instead of a copy of every activation per layer.
// The pointer stays valid until the next call for the same slot.
void* Scratch(int slot, size_t bytes);
// Frees a slot's buffer (the next Scratch call for it allocates again).
void ReleaseScratch(int slot);
inline constexpr int kNumScratchSlots = 6;

// Layout propagation. A DNNL layer leaves its output in the blob's memory in
// the layout its primitive produced (a DnnlLayout), and the next DNNL layer
// reads it from there as it is, or reorders it if it wants another one.
// Anyone else asking the memory for values gets plain ones (SyncedMemory
// converts), so blocked layouts never escape a run of DNNL layers.
class DnnlLayout : public EngineLayout {
 public:
  DnnlLayout(const dnnl::memory::desc& md, const dnnl::memory::desc& plain);
  size_t bytes() const override { return md_.get_size(); }
  size_t plain_bytes() const override { return plain_.get_size(); }
  void ToPlain(const void* src, void* dst) const override;
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

// Reads a tensor (a blob's data or diff memory) in the layout a primitive
// wants: the memory itself when it holds that layout, else a copy reordered
// into scratch slot `slot`.
class Reader {
 public:
  void Init(const dnnl::memory::desc& plain, const dnnl::memory::desc& want, int slot);
  const dnnl::memory::desc& want() const { return want_; }
  dnnl::memory Read(SyncedMemory& mem);
  // Like Read, but leaves the memory holding the wanted layout, so the next
  // call reads it as it is: for weights that stay put between passes
  // (inference, frozen layers). Anyone asking for plain values later gets
  // them converted back. Borrowed buffers too small for the layout are only
  // read.
  dnnl::memory Adopt(SyncedMemory& mem);

 private:
  // Adopt by reordering the memory where it is; false when the layouts do
  // not allow it (the memory is left as it was).
  bool AdoptInPlace(SyncedMemory& mem);

  dnnl::memory::desc plain_, want_, from_;
  int slot_ = 0;
  dnnl::reorder reorder_;
  std::shared_ptr<const DnnlLayout> layout_;  // want_, for Adopt
};

// Writes a primitive's result into a tensor's memory in the layout the
// primitive produces. Target() gives the memory to execute into; Finish()
// afterwards. When the memory cannot hold that layout (a borrowed buffer
// too small for the padding) the result goes through scratch slot `slot`
// and is reordered to plain.
class Writer {
 public:
  void Init(const dnnl::memory::desc& plain, const dnnl::memory::desc& produced, int slot);
  const dnnl::memory::desc& produced() const { return produced_; }
  dnnl::memory Target(SyncedMemory& mem);
  void Finish(SyncedMemory& mem);

 private:
  dnnl::memory::desc plain_, produced_;
  int slot_ = 0;
  std::shared_ptr<const DnnlLayout> layout_;  // null when produced is plain
  bool via_scratch_ = false;
  dnnl::memory buffer_;
  dnnl::reorder to_plain_;
};

// dst (plain, at ptr) += src (in src's layout): a reorder with a sum post-op,
// so parameter gradients accumulate as Caffe's solvers expect.
class Accumulator {
 public:
  void Init(const dnnl::memory::desc& src, const dnnl::memory::desc& plain_dst);
  void Add(dnnl::memory& src, float* dst);

 private:
  dnnl::memory::desc dst_md_;
  dnnl::reorder reorder_;
};

}  // namespace dnnl_engine
}  // namespace crema

#endif  // CREMA_ENGINES_DNNL_DNNL_COMMON_HPP_
