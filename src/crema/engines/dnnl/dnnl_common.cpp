#include "dnnl_common.hpp"

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

void Converter::Init(const dnnl::memory::desc& plain,
                     const dnnl::memory::desc& want) {
  plain_ = plain;
  want_ = want;
  same_ = plain == want;
  if (same_) {
    buffer_ = dnnl::memory();
    return;
  }
  buffer_ = dnnl::memory(want_, CpuEngine());
  to_want_ = dnnl::reorder(dnnl::reorder::primitive_desc(
      CpuEngine(), plain_, CpuEngine(), want_));
  to_plain_ = dnnl::reorder(dnnl::reorder::primitive_desc(
      CpuEngine(), want_, CpuEngine(), plain_));
}

dnnl::memory Converter::In(const float* ptr) {
  dnnl::memory user = Wrap(plain_, ptr);
  if (same_) return user;
  to_want_.execute(CpuStream(), user, buffer_);
  return buffer_;
}

dnnl::memory Converter::OutTarget(float* ptr) {
  return same_ ? Wrap(plain_, ptr) : buffer_;
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
