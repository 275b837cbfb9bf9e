#include "dnnl_common.hpp"

#include <cstdlib>
#include <cstring>
#include <memory>

#include "crema/common.hpp"
#include "crema/host_memory.hpp"

namespace crema {
namespace dnnl_engine {

dnnl::engine& CpuEngine() {
  static dnnl::engine* engine = new dnnl::engine(dnnl::engine::kind::cpu, 0);
  return *engine;
}

dnnl::stream& CpuStream() {
  // Primitives run synchronously on the CPU; a stream per thread keeps
  // nets driven from different threads independent.
  thread_local dnnl::stream stream(CpuEngine());
  return stream;
}

dnnl::memory::desc RowMajorDesc(const std::vector<int>& shape) {
  dims d = ToDims(shape), strides(shape.size());
  dnnl::memory::dim stride = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    strides[i] = stride;
    stride *= shape[i];
  }
  return dnnl::memory::desc(d, dnnl::memory::data_type::f32, strides);
}

dnnl::primitive_attr ReLUPostOp(bool fuse, float negative_slope) {
  dnnl::primitive_attr attr;
  if (fuse) {
    dnnl::post_ops ops;
    ops.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, negative_slope, 0.f);
    attr.set_post_ops(ops);
  }
  return attr;
}

namespace {

struct ScratchSlot {
  ScratchSlot() = default;
  ScratchSlot(const ScratchSlot&) = delete;
  ScratchSlot& operator=(const ScratchSlot&) = delete;
  ~ScratchSlot() { Reset(); }
  void Reset() {
    FreeHost(data, bytes);
    data = nullptr;
    bytes = 0;
  }
  void* data = nullptr;
  size_t bytes = 0;
};

ScratchSlot& SlotOf(int slot) {
  thread_local ScratchSlot slots[kNumScratchSlots];
  CHECK(slot >= 0 && slot < kNumScratchSlots);
  return slots[slot];
}

}  // namespace

void ReleaseScratch(int slot) { SlotOf(slot).Reset(); }

void* Scratch(int slot, size_t bytes) {
  ScratchSlot& s = SlotOf(slot);
  if (s.bytes < bytes) {
    s.Reset();
    s.data = AllocHost(bytes);
    s.bytes = bytes;
  }
  return s.data;
}

DnnlLayout::DnnlLayout(const dnnl::memory::desc& md, const dnnl::memory::desc& plain)
    : md_(md), plain_(plain) {
  to_plain_ = dnnl::reorder(
      dnnl::reorder::primitive_desc(CpuEngine(), md_, CpuEngine(), plain_));
}

void DnnlLayout::ToPlain(const void* src, void* dst) const {
  dnnl::memory from = Wrap(md_, static_cast<const float*>(src));
  dnnl::memory to(plain_, CpuEngine(), dst);
  to_plain_.execute(CpuStream(), from, to);
}

dnnl::memory::desc HeldDesc(SyncedMemory& mem, const dnnl::memory::desc& plain) {
  const EngineLayout* held = mem.layout();
  if (!held) return plain;
  const auto* dnnl_layout = dynamic_cast<const DnnlLayout*>(held);
  if (dnnl_layout && dnnl_layout->desc().dims() == plain.dims()) {
    return dnnl_layout->desc();
  }
  mem.cpu_data();  // someone else's layout, or another shape: make it plain
  return plain;
}

void Reader::Init(const dnnl::memory::desc& plain, const dnnl::memory::desc& want,
                  int slot) {
  plain_ = plain;
  want_ = want;
  slot_ = slot;
  from_ = dnnl::memory::desc();
  reorder_ = dnnl::reorder();
  layout_.reset();
}

dnnl::memory Reader::Read(SyncedMemory& mem) {
  const dnnl::memory::desc held = HeldDesc(mem, plain_);
  const float* ptr = static_cast<const float*>(mem.raw_cpu_data());
  if (held == want_) return Wrap(want_, ptr);
  if (!reorder_ || !(held == from_)) {
    from_ = held;
    reorder_ = dnnl::reorder(
        dnnl::reorder::primitive_desc(CpuEngine(), from_, CpuEngine(), want_));
  }
  dnnl::memory buffer(want_, CpuEngine(), Scratch(slot_, want_.get_size()));
  dnnl::memory from = Wrap(from_, ptr);
  reorder_.execute(CpuStream(), from, buffer);
  return buffer;
}

namespace {

// Rows of dimension 0 that one step of an in-place reorder from `plain` to
// `want` moves, or 0 when it cannot be done in place. It can when `want` is
// dense and keeps dimension 0 outermost, as oneDNN's convolution weight
// layouts do (OIhw16i16o, gOIhw16o16i, ...): then each block of rows of
// dimension 0 fills the same bytes in both orders.
int64_t InPlaceRows(const dnnl::memory::desc& plain, const dnnl::memory::desc& want) {
  const dnnl_memory_desc_t& w = want.data;
  if (w.format_kind != dnnl_blocked || w.offset0 != 0 || w.ndims < 2) return 0;
  // `plain` must be row-major in the order of the dimensions (a
  // deconvolution's iohw weights are not: their dimension 0 is the second).
  if (!(plain == RowMajorDesc(std::vector<int>(w.dims, w.dims + w.ndims)))) return 0;
  int64_t total = 1;
  for (int d = 0; d < w.ndims; ++d) {
    if (w.padded_dims[d] != w.dims[d] || w.padded_offsets[d] != 0) return 0;
    total *= w.dims[d];
  }
  if (want.get_size() != static_cast<size_t>(total) * sizeof(float) ||
      plain.get_size() != want.get_size()) {
    return 0;
  }
  const dnnl_blocking_desc_t& b = w.format_desc.blocking;
  int64_t rows = 1;
  for (int i = 0; i < b.inner_nblks; ++i) {
    if (b.inner_idxs[i] == 0) rows *= b.inner_blks[i];
  }
  if (w.dims[0] % rows != 0 || b.strides[0] * (w.dims[0] / rows) != total) return 0;
  return rows;
}

// `desc` (dense, dimension 0 outermost) cut down to `rows` rows.
dnnl::memory::desc FirstRows(const dnnl::memory::desc& desc, int64_t rows) {
  dnnl_memory_desc_t d = desc.data;
  d.dims[0] = d.padded_dims[0] = rows;
  return dnnl::memory::desc(d);
}

}  // namespace

bool Reader::AdoptInPlace(SyncedMemory& mem) {
  const int64_t rows = InPlaceRows(plain_, want_);
  if (rows == 0) return false;
  const dnnl::memory::desc from = FirstRows(plain_, rows), to = FirstRows(want_, rows);
  const size_t step = from.get_size() / sizeof(float);
  dnnl::reorder reorder(dnnl::reorder::primitive_desc(CpuEngine(), from, CpuEngine(), to));
  dnnl::memory buffer(to, CpuEngine(), Scratch(slot_, to.get_size()));
  float* staged = static_cast<float*>(buffer.get_data_handle());
  float* values = static_cast<float*>(mem.mutable_cpu_data());
  for (int64_t r = 0; r < want_.data.dims[0]; r += rows) {
    float* block = values + static_cast<size_t>(r / rows) * step;
    dnnl::memory source = Wrap(from, block);
    reorder.execute(CpuStream(), source, buffer);
    std::memcpy(block, staged, to.get_size());
  }
  ReleaseScratch(slot_);
  // Only now the values are in the layout. It fills exactly the plain
  // bytes, so the buffer stays where it is.
  CHECK(mem.mutable_engine_data(layout_) == values);
  return true;
}

dnnl::memory Reader::Adopt(SyncedMemory& mem) {
  if (want_ == plain_) return Wrap(plain_, static_cast<const float*>(mem.cpu_data()));
  if (HeldDesc(mem, plain_) == want_) {
    return Wrap(want_, static_cast<const float*>(mem.raw_cpu_data()));
  }
  // Only a blocked layout converts back to plain (Winograd's does not).
  if (want_.data.format_kind != dnnl_blocked) return Read(mem);
  if (!layout_) layout_ = std::make_shared<DnnlLayout>(want_, plain_);
  // In place when the layout allows: no second copy of the weights, even
  // for a moment.
  if (AdoptInPlace(mem)) return Wrap(want_, static_cast<const float*>(mem.raw_cpu_data()));
  dnnl::memory copy = Read(mem);
  void* ptr = mem.mutable_engine_data(layout_);
  if (!ptr) return copy;
  std::memcpy(ptr, copy.get_data_handle(), want_.get_size());
  ReleaseScratch(slot_);  // converting is rare: keep no buffer for it
  return dnnl::memory(want_, CpuEngine(), ptr);
}

void Writer::Init(const dnnl::memory::desc& plain, const dnnl::memory::desc& produced,
                  int slot) {
  plain_ = plain;
  produced_ = produced;
  slot_ = slot;
  layout_.reset();
  buffer_ = dnnl::memory();
  to_plain_ = dnnl::reorder();
  if (!(plain == produced)) layout_ = std::make_shared<DnnlLayout>(produced, plain);
}

dnnl::memory Writer::Target(SyncedMemory& mem) {
  via_scratch_ = false;
  if (!layout_) return Wrap(plain_, static_cast<float*>(mem.mutable_cpu_data()));
  if (void* ptr = mem.mutable_engine_data(layout_)) {
    return dnnl::memory(produced_, CpuEngine(), ptr);
  }
  via_scratch_ = true;
  buffer_ = dnnl::memory(produced_, CpuEngine(), Scratch(slot_, produced_.get_size()));
  return buffer_;
}

void Writer::Finish(SyncedMemory& mem) {
  if (!via_scratch_) return;
  if (!to_plain_) {
    to_plain_ = dnnl::reorder(
        dnnl::reorder::primitive_desc(CpuEngine(), produced_, CpuEngine(), plain_));
  }
  dnnl::memory user = Wrap(plain_, static_cast<float*>(mem.mutable_cpu_data()));
  to_plain_.execute(CpuStream(), buffer_, user);
}

void Accumulator::Init(const dnnl::memory::desc& src,
                       const dnnl::memory::desc& plain_dst) {
  dst_md_ = plain_dst;
  dnnl::post_ops ops;
  ops.append_sum(1.f);
  dnnl::primitive_attr attr;
  attr.set_post_ops(ops);
  reorder_ = dnnl::reorder(dnnl::reorder::primitive_desc(
      CpuEngine(), src, CpuEngine(), plain_dst, attr));
}

void Accumulator::Add(dnnl::memory& src, float* dst) {
  dnnl::memory user = Wrap(dst_md_, dst);
  reorder_.execute(CpuStream(), src, user);
}

}  // namespace dnnl_engine
}  // namespace crema
