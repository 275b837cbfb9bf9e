// A byte buffer that lives on the host today and keeps room for a device
// copy: `head()` says which side holds the fresh data, as Caffe's
// SyncedMemory does. Host memory is 64-byte aligned and zero-filled on first use.
#ifndef CREMA_SYNCEDMEM_HPP_
#define CREMA_SYNCEDMEM_HPP_

#include <cstddef>
#include <memory>

namespace crema {

// An arrangement of a tensor's values that a fast engine prefers to the
// plain row-major one (oneDNN's channel-blocked layouts, say). A run of an
// engine's layers passes tensors along in it; whoever asks the memory for
// plain values gets them converted back first.
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
};

class SyncedMemory {
 public:
  enum Head { UNINITIALIZED, HEAD_AT_CPU, HEAD_AT_GPU, SYNCED };

  SyncedMemory() = default;
  explicit SyncedMemory(size_t size) : size_(size) {}
  ~SyncedMemory();
  SyncedMemory(const SyncedMemory&) = delete;
  SyncedMemory& operator=(const SyncedMemory&) = delete;

  // Plain values. When an engine left the buffer in its own layout, the
  // values are converted back to plain first.
  const void* cpu_data();
  void* mutable_cpu_data();
  // Uses memory owned by someone else (who keeps it alive) as the host side.
  void set_cpu_data(void* data);

  Head head() const { return head_; }
  size_t size() const { return size_; }

  // For engines. The layout the host buffer holds now; null when plain.
  const EngineLayout* layout() const { return layout_.get(); }
  // The host buffer as it is, in layout(), without converting.
  const void* raw_cpu_data();
  // The host buffer, for values the caller writes next in `layout` (the
  // buffer grows when the layout needs more room, and then holds nothing of
  // what it held). Null when the buffer is borrowed (set_cpu_data) and too
  // small: the caller then writes plain values through mutable_cpu_data().
  void* mutable_engine_data(std::shared_ptr<const EngineLayout> layout);
  // Declares the values dead (a shared activation buffer whose next user
  // overwrites it): forgets the layout they were in without converting
  // them, so nobody spends time or memory turning garbage plain.
  void discard_values() { layout_.reset(); }

 private:
  void ToCpu();
  void ToPlain();

  void* cpu_ptr_ = nullptr;
  size_t size_ = 0;
  size_t alloc_size_ = 0;  // bytes allocated at cpu_ptr_ (>= size_)
  std::shared_ptr<const EngineLayout> layout_;
  Head head_ = UNINITIALIZED;
  bool own_cpu_data_ = false;
};

}  // namespace crema

#endif  // CREMA_SYNCEDMEM_HPP_
