#include "dnnl_common.hpp"

#include <cstdlib>
#include <memory>

#include "crema/common.hpp"

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

dnnl::primitive_attr ReLUPostOp(bool fuse, float negative_slope) {
  dnnl::primitive_attr attr;
  if (fuse) {
    dnnl::post_ops ops;
    ops.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, negative_slope, 0.f);
    attr.set_post_ops(ops);
  }
  return attr;
}

void* Scratch(int slot, size_t bytes) {
  struct Slot {
    std::unique_ptr<float[], void (*)(void*)> data{nullptr, std::free};
    size_t bytes = 0;
  };
  thread_local Slot slots[kNumScratchSlots];
  CHECK(slot >= 0 && slot < kNumScratchSlots);
  Slot& s = slots[slot];
  if (s.bytes < bytes) {
    const size_t rounded = (bytes + 63) / 64 * 64;
    void* ptr = std::aligned_alloc(64, rounded);
    if (!ptr) Throw("Out of memory: the DNNL engine could not allocate ", bytes, " bytes.");
    s.data.reset(static_cast<float*>(ptr));
    s.bytes = rounded;
  }
  return s.data.get();
}

dnnl::memory Converter::Buffer() {
  void* ptr = Scratch(slot_, want_.get_size());
  if (!buffer_ || buffer_.get_data_handle() != ptr) {
    buffer_ = dnnl::memory(want_, CpuEngine(), ptr);
  }
  return buffer_;
}

void Converter::Init(const dnnl::memory::desc& plain,
                     const dnnl::memory::desc& want, int slot) {
  plain_ = plain;
  want_ = want;
  slot_ = slot;
  same_ = plain == want;
  buffer_ = dnnl::memory();
  if (same_) return;
  to_want_ = dnnl::reorder(dnnl::reorder::primitive_desc(
      CpuEngine(), plain_, CpuEngine(), want_));
  to_plain_ = dnnl::reorder(dnnl::reorder::primitive_desc(
      CpuEngine(), want_, CpuEngine(), plain_));
}

dnnl::memory Converter::In(const float* ptr) {
  dnnl::memory user = Wrap(plain_, ptr);
  if (same_) return user;
  dnnl::memory buffer = Buffer();
  to_want_.execute(CpuStream(), user, buffer);
  return buffer;
}

dnnl::memory Converter::OutTarget(float* ptr) {
  return same_ ? Wrap(plain_, ptr) : Buffer();
}

void Converter::Out(float* ptr) {
  if (same_) return;
  dnnl::memory user = Wrap(plain_, ptr);
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
