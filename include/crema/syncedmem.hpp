// The memory behind a blob's data or diff, and where its values are held.
//
// Layouts, and who converts them
// ------------------------------
// A SyncedMemory holds one tensor in up to two forms:
//  - plain: row-major float32, at cpu_data(). This buffer is allocated once
//    and never moves while the memory lives (a blob reshaped past its
//    capacity gets a new SyncedMemory), so a pointer or a numpy view of it
//    stays valid until the blob is reshaped.
//  - engine: a fast engine's own arrangement (an EngineLayout, such as
//    oneDNN's channel-blocked nChw16c), at engine_data(). It lives in the
//    plain buffer itself when it fits there, else in a second buffer.
// holds() says which forms are current. Reading or writing plain values
// while only the engine form is current is a crema bug (a failed CHECK): the
// plain accessors never convert. Conversion back to plain is ToPlain(), and
// it is called in these places only:
//  - Layer::Forward / Layer::Backward, before a layer that reads plain values
//    only (ReadsEngineLayouts() false), on the blobs that layer reads: the
//    boundary between a run of engine layers and the rest of a net;
//  - Layer::Forward / Layer::Backward after a layer that runs on its own
//    (outside a net), on its outputs, so a layer alone always hands back
//    plain values;
//  - Net, at the end of a pass (Net::set_plain_after_pass; memory marked
//    keep_plain always), and Blob::ToPlain for a caller that reads a blob
//    the net did not convert;
//  - an engine's own code, when it meets a layout it cannot read.
#ifndef CREMA_SYNCEDMEM_HPP_
#define CREMA_SYNCEDMEM_HPP_

#include <cstddef>
#include <cstdint>
#include <memory>

namespace crema {

// An arrangement of a tensor's values that a fast engine prefers to the
// plain row-major one.
class EngineLayout {
 public:
  virtual ~EngineLayout() = default;
  // Bytes the arrangement fills (blocked layouts pad, so this can exceed
  // the plain size).
  virtual size_t bytes() const = 0;
  // Bytes of the same values in plain order (the tensor's count x 4; less
  // than the memory's size when a tensor uses part of a shared buffer).
  virtual size_t plain_bytes() const = 0;
  // Writes the values held at src, in this layout, to dst in plain order.
  // The two do not overlap.
  virtual void ToPlain(const void* src, void* dst) const = 0;
  // The same, where the values and their plain order share `buffer`. By
  // default through a temporary copy of the values.
  virtual void ToPlainInPlace(void* buffer) const;
};

class SyncedMemory {
 public:
  // Which forms of the values are current.
  enum class Holds { kNothing, kPlain, kEngine, kBoth };

  SyncedMemory() = default;
  explicit SyncedMemory(size_t size) : size_(size) {}
  ~SyncedMemory();
  SyncedMemory(const SyncedMemory&) = delete;
  SyncedMemory& operator=(const SyncedMemory&) = delete;

  // Plain values (zeros before anything was written). Never converts.
  const void* cpu_data();
  // For writing plain values; the engine form, if any, is stale afterwards.
  void* mutable_cpu_data();
  // Uses memory owned by someone else (who keeps it alive) as the plain side.
  void set_cpu_data(void* data);

  Holds holds() const { return holds_; }
  // Counts the times the values were handed out for writing (plain or
  // engine form): an engine that keeps a converted copy of them (bf16 or
  // int8 weights) converts again when this changed.
  uint64_t version() const { return version_; }
  size_t size() const { return size_; }

  // The engine form's layout while that form is current, else null.
  const EngineLayout* layout() const {
    return holds_ == Holds::kEngine || holds_ == Holds::kBoth ? layout_.get() : nullptr;
  }
  // The engine form, as it is (layout() must be non-null).
  const void* engine_data() const;
  // A buffer for values the caller writes next in `layout`; afterwards the
  // engine form is the only current one. Inside the plain buffer when the
  // layout fits there, no second buffer was needed before and the plain
  // values are not kept (keep_plain).
  void* mutable_engine_data(std::shared_ptr<const EngineLayout> layout);
  // Writes the engine form's values to the plain buffer (a no-op when plain
  // is current). A separate engine buffer stays current too (kBoth); one
  // inside the plain buffer is gone (kPlain).
  void ToPlain();
  // Someone holds a pointer to the plain values (a numpy view, say) and
  // reads them between passes: a net converts this memory after each pass
  // even when it converts nothing else, and an engine keeps its form in a
  // buffer beside the plain one, so both stay current (no conversion back
  // and forth for weights an engine adopted).
  void set_keep_plain(bool value) { keep_plain_ = value; }
  bool keep_plain() const { return keep_plain_; }
  // Declares the values dead (a shared activation buffer whose next user
  // overwrites it, a bottom diff a layer overwrites): forgets the engine
  // form without converting it.
  void discard_values();

  // Sets every value to zero, writing the zeros only when the values are
  // next read or partly written: through cpu_data(), mutable_cpu_data() or
  // Bf16Copy(), which fill them first. A writer of every value takes the
  // buffer unfilled with overwrite_cpu_data(). Memory whose plain values
  // are read through a kept pointer (keep_plain: a numpy view) or that
  // someone else owns (set_cpu_data) gets its zeros at once, and still
  // counts as pending for writers. For parameter gradients that a backward
  // pass mostly overwrites (Net::ClearParamDiffsBeforeBackward).
  void MarkZero();
  // True from MarkZero until the values are read or written: a writer of
  // every value may then skip reading them.
  bool zero_pending() const { return zero_pending_; }
  // For a writer of every plain value: no pending zeros are filled first.
  void* overwrite_cpu_data();

  // A bfloat16 copy of the first `count` plain values (rounded to nearest
  // even), for an engine that computes in bf16 from these fp32 values
  // (bf16 training's master weights). Made on the first call, converted
  // again only when the values were written since (version()). Blob::Update
  // refreshes it in the pass that changes the values, so after a solver
  // step the next call costs nothing.
  const uint16_t* Bf16Copy(size_t count);
  // The copy Blob::Update refreshes: null when no engine asked for one of
  // exactly `count` values.
  uint16_t* bf16_copy(size_t count) { return count == bf16_count_ ? bf16_ptr_ : nullptr; }
  // After the writer of the plain values wrote the copy too.
  void Bf16CopyWritten() { bf16_version_ = version_; }

 private:
  void AllocatePlain();
  void FillPendingZeros();
  bool EngineInPlainBuffer() const { return engine_ptr_ == cpu_ptr_; }

  void* cpu_ptr_ = nullptr;
  size_t size_ = 0;
  bool own_cpu_data_ = false;
  void* engine_ptr_ = nullptr;   // cpu_ptr_, or a buffer of its own
  size_t engine_alloc_ = 0;      // bytes of that own buffer (0 when none)
  std::shared_ptr<const EngineLayout> layout_;
  Holds holds_ = Holds::kNothing;
  bool keep_plain_ = false;
  bool zero_pending_ = false;   // MarkZero: the plain values are zeros...
  bool zeros_written_ = false;  // ...already in the buffer, or not yet
  uint64_t version_ = 0;
  uint16_t* bf16_ptr_ = nullptr;  // Bf16Copy's values
  size_t bf16_count_ = 0;
  uint64_t bf16_version_ = 0;     // version_ they were made from
};

}  // namespace crema

#endif  // CREMA_SYNCEDMEM_HPP_
