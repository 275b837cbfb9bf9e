#include "dnnl_common.hpp"

#include <cstdlib>
#include <cstring>
#include <memory>

#include "crema/common.hpp"
#include "crema/host_memory.hpp"
#include "crema/math/math_functions.hpp"

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

ScratchPool::~ScratchPool() {
  for (Buffer& b : buffers_) FreeHost(b.data, b.bytes);
}

ScratchPool& ScratchPool::ThisThread() {
  thread_local ScratchPool pool;
  return pool;
}

void* ScratchPool::Take(size_t bytes, bool keep) {
  CHECK(depth_ > 0) << "DNNL scratch taken outside a ScratchScope";
  // The smallest free buffer that is large enough; else grow the largest
  // free one, so the pool never holds more buffers than were in use at once.
  Buffer* best = nullptr;
  Buffer* largest_free = nullptr;
  for (Buffer& b : buffers_) {
    if (b.in_use) continue;
    if (b.bytes >= bytes && (!best || b.bytes < best->bytes)) best = &b;
    if (!largest_free || b.bytes > largest_free->bytes) largest_free = &b;
  }
  if (!best) {
    if (largest_free) {
      FreeHost(largest_free->data, largest_free->bytes);
      *largest_free = Buffer();
      best = largest_free;
    } else {
      buffers_.emplace_back();
      best = &buffers_.back();
    }
    best->data = AllocHost(bytes);
    best->bytes = bytes;
  }
  best->in_use = true;
  best->keep = keep;
  best->scope = depth_;
  return best->data;
}

size_t ScratchPool::held_bytes() const {
  size_t total = 0;
  for (const Buffer& b : buffers_) total += b.bytes;
  return total;
}

void ScratchPool::EndScope(int depth) {
  CHECK_EQ(depth, depth_) << "DNNL scratch scopes ended out of order";
  for (Buffer& b : buffers_) {
    if (!b.in_use || b.scope < depth) continue;
    b.in_use = false;
    if (!b.keep) {
      FreeHost(b.data, b.bytes);
      b = Buffer();
    }
  }
  buffers_.erase(std::remove_if(buffers_.begin(), buffers_.end(),
                                [](const Buffer& b) { return b.data == nullptr; }),
                 buffers_.end());
  --depth_;
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
  mem.ToPlain();  // someone else's layout, or another shape: read it as plain
  return plain;
}

const float* HeldData(SyncedMemory& mem, const dnnl::memory::desc& held,
                      const dnnl::memory::desc& plain) {
  const void* data = held == plain ? mem.cpu_data() : mem.engine_data();
  return static_cast<const float*>(data);
}

void Reader::Init(const dnnl::memory::desc& plain, const dnnl::memory::desc& want,
                  const dnnl::primitive_attr& attr) {
  plain_ = plain;
  want_ = want;
  attr_ = attr;
  int mask = 0;
  std::vector<float> scales;
  attr.get_output_scales(mask, scales);
  unscaled_ = scales.empty() || (scales.size() == 1 && scales[0] == 1.f);
  from_ = dnnl::memory::desc();
  reorder_ = dnnl::reorder();
  layout_.reset();
  kept_ = dnnl::memory();
  kept_from_ = nullptr;
}

dnnl::memory Reader::Read(SyncedMemory& mem) { return Read(mem, true); }

dnnl::memory Reader::ReadKept(SyncedMemory& mem) {
  const dnnl::memory::desc held = HeldDesc(mem, plain_);
  const float* ptr = HeldData(mem, held, plain_);
  if (held == want_) return Wrap(want_, ptr);
  if (!kept_) kept_ = dnnl::memory(want_, CpuEngine());
  if (!(held == from_)) {
    from_ = held;
    reorder_ = dnnl::reorder();
  }
  Convert(Wrap(from_, ptr), kept_);
  kept_from_ = &mem;
  kept_version_ = mem.version();
  return kept_;
}

namespace {

// Whether two descriptors arrange the same dimensions alike, whatever their
// element types, with no padding (whose values a reorder would zero).
bool SameArrangement(const dnnl::memory::desc& a, const dnnl::memory::desc& b) {
  const dnnl_memory_desc_t &x = a.data, &y = b.data;
  if (x.format_kind != dnnl_blocked || y.format_kind != dnnl_blocked || x.ndims != y.ndims ||
      x.offset0 != 0 || y.offset0 != 0 || x.extra.flags != 0 || y.extra.flags != 0) {
    return false;
  }
  for (int d = 0; d < x.ndims; ++d) {
    if (x.dims[d] != y.dims[d] || x.padded_dims[d] != x.dims[d] ||
        y.padded_dims[d] != y.dims[d] ||
        x.padded_offsets[d] != y.padded_offsets[d] ||
        x.format_desc.blocking.strides[d] != y.format_desc.blocking.strides[d]) {
      return false;
    }
  }
  const dnnl_blocking_desc_t &p = x.format_desc.blocking, &q = y.format_desc.blocking;
  if (p.inner_nblks != q.inner_nblks) return false;
  for (int i = 0; i < p.inner_nblks; ++i) {
    if (p.inner_blks[i] != q.inner_blks[i] || p.inner_idxs[i] != q.inner_idxs[i]) return false;
  }
  return true;
}

}  // namespace

void Reader::Convert(dnnl::memory from, dnnl::memory to) {
  // f32 to bf16 in the same arrangement: element by element, in one
  // parallel pass (oneDNN's reorder runs this at a third of the speed).
  if (unscaled_ && from_.data_type() == dnnl::memory::data_type::f32 &&
      want_.data_type() == dnnl::memory::data_type::bf16 && SameArrangement(from_, want_)) {
    cpu_to_bf16(static_cast<int>(want_.get_size() / sizeof(uint16_t)),
                static_cast<const float*>(from.get_data_handle()),
                static_cast<uint16_t*>(to.get_data_handle()));
    return;
  }
  if (!reorder_) {
    reorder_ = dnnl::reorder(
        dnnl::reorder::primitive_desc(CpuEngine(), from_, CpuEngine(), want_, attr_));
  }
  reorder_.execute(CpuStream(), from, to);
}

dnnl::memory Reader::Read(SyncedMemory& mem, bool keep_scratch) {
  const dnnl::memory::desc held = HeldDesc(mem, plain_);
  const float* ptr = HeldData(mem, held, plain_);
  if (held == want_) return Wrap(want_, ptr);
  if (!(held == from_)) {
    from_ = held;
    reorder_ = dnnl::reorder();
  }
  dnnl::memory buffer(want_, CpuEngine(), ScratchPool::ThisThread().Take(want_.get_size(), keep_scratch));
  Convert(Wrap(from_, ptr), buffer);
  return buffer;
}


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

namespace {

// `desc` (dense, dimension 0 outermost) cut down to `rows` rows.
dnnl::memory::desc FirstRows(const dnnl::memory::desc& desc, int64_t rows) {
  dnnl_memory_desc_t d = desc.data;
  d.dims[0] = d.padded_dims[0] = rows;
  return dnnl::memory::desc(d);
}

}  // namespace

void ReorderRowsInPlace(const dnnl::memory::desc& from, const dnnl::memory::desc& to,
                        int64_t rows, void* values) {
  const dnnl::memory::desc from_rows = FirstRows(from, rows), to_rows = FirstRows(to, rows);
  const size_t step = to_rows.get_size();
  dnnl::reorder reorder(
      dnnl::reorder::primitive_desc(CpuEngine(), from_rows, CpuEngine(), to_rows));
  ScratchScope scope;
  void* staged = ScratchPool::ThisThread().Take(step);
  dnnl::memory buffer(to_rows, CpuEngine(), staged);
  for (int64_t r = 0; r < from.data.dims[0]; r += rows) {
    char* block = static_cast<char*>(values) + static_cast<size_t>(r / rows) * step;
    dnnl::memory source(from_rows, CpuEngine(), block);
    reorder.execute(CpuStream(), source, buffer);
    std::memcpy(block, staged, step);
  }
}

void DnnlLayout::ToPlainInPlace(void* buffer) const {
  // Large weights go back a block of output channels at a time, through a
  // small buffer; anything else through a pool copy of its own size.
  const int64_t rows = InPlaceRows(plain_, md_);
  if (rows > 0 && rows < md_.data.dims[0]) {
    ReorderRowsInPlace(md_, plain_, rows, buffer);
    return;
  }
  ScratchScope scope;
  void* copy = ScratchPool::ThisThread().Take(bytes());
  std::memcpy(copy, buffer, bytes());
  ToPlain(copy, buffer);
}

bool Reader::AdoptInPlace(SyncedMemory& mem) {
  const int64_t rows = InPlaceRows(plain_, want_);
  if (rows == 0) return false;
  void* values = mem.mutable_cpu_data();
  ReorderRowsInPlace(plain_, want_, rows, values);
  // Only now the values are in the layout, which fills exactly the plain
  // bytes: the engine form lives in the plain buffer.
  void* at = mem.mutable_engine_data(layout_);
  if (at != values) std::memcpy(at, values, want_.get_size());
  return true;
}

dnnl::memory Reader::Adopt(SyncedMemory& mem) {
  const dnnl::memory::desc held = HeldDesc(mem, plain_);
  if (held == want_) return Wrap(want_, HeldData(mem, held, plain_));
  // Only a blocked layout converts back to plain (Winograd's does not).
  if (want_ == plain_ || want_.data.format_kind != dnnl_blocked) return Read(mem);
  if (!layout_) layout_ = std::make_shared<DnnlLayout>(want_, plain_);
  // In place when the layout allows: no second copy of the weights, even
  // for a moment.
  if (held == plain_ && !mem.keep_plain() && AdoptInPlace(mem)) {
    return Wrap(want_, HeldData(mem, want_, plain_));
  }
  ScratchScope scope;  // converting is rare: keep no buffer for it
  dnnl::memory copy = Read(mem, /*keep_scratch=*/false);
  void* ptr = mem.mutable_engine_data(layout_);
  std::memcpy(ptr, copy.get_data_handle(), want_.get_size());
  // Plain values someone keeps stay current beside the adopted ones.
  if (mem.keep_plain()) mem.ToPlain();
  return dnnl::memory(want_, CpuEngine(), ptr);
}

void Writer::Init(const dnnl::memory::desc& plain, const dnnl::memory::desc& produced) {
  plain_ = plain;
  produced_ = produced;
  layout_.reset();
  if (!(plain == produced)) layout_ = std::make_shared<DnnlLayout>(produced, plain);
}

dnnl::memory Writer::Target(SyncedMemory& mem) {
  if (layout_) return dnnl::memory(produced_, CpuEngine(), mem.mutable_engine_data(layout_));
  mem.discard_values();
  return Wrap(plain_, static_cast<float*>(mem.mutable_cpu_data()));
}

void Accumulator::Init(const dnnl::memory::desc& src,
                       const dnnl::memory::desc& plain_dst) {
  dst_md_ = plain_dst;
  dnnl::post_ops ops;
  ops.append_sum(1.f);
  dnnl::primitive_attr attr;
  attr.set_post_ops(ops);
  add_ = dnnl::reorder(dnnl::reorder::primitive_desc(
      CpuEngine(), src, CpuEngine(), plain_dst, attr));
  copy_ = dnnl::reorder(dnnl::reorder::primitive_desc(CpuEngine(), src, CpuEngine(), plain_dst));
}

void Accumulator::Add(dnnl::memory& src, float* dst, float beta) {
  dnnl::memory user = Wrap(dst_md_, dst);
  (beta == 0.f ? copy_ : add_).execute(CpuStream(), src, user);
}

}  // namespace dnnl_engine
}  // namespace crema
