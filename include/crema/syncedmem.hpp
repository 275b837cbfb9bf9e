// A byte buffer that lives on the host today and keeps room for a device
// copy: `head()` says which side holds the fresh data, as Caffe's
// SyncedMemory does. Host memory is 64-byte aligned and zero-filled on first use.
#ifndef CREMA_SYNCEDMEM_HPP_
#define CREMA_SYNCEDMEM_HPP_

#include <cstddef>

namespace crema {

class SyncedMemory {
 public:
  enum Head { UNINITIALIZED, HEAD_AT_CPU, HEAD_AT_GPU, SYNCED };

  SyncedMemory() = default;
  explicit SyncedMemory(size_t size) : size_(size) {}
  ~SyncedMemory();
  SyncedMemory(const SyncedMemory&) = delete;
  SyncedMemory& operator=(const SyncedMemory&) = delete;

  const void* cpu_data();
  void* mutable_cpu_data();
  // Uses memory owned by someone else (who keeps it alive) as the host side.
  void set_cpu_data(void* data);

  Head head() const { return head_; }
  size_t size() const { return size_; }

 private:
  void ToCpu();

  void* cpu_ptr_ = nullptr;
  size_t size_ = 0;
  Head head_ = UNINITIALIZED;
  bool own_cpu_data_ = false;
};

}  // namespace crema

#endif  // CREMA_SYNCEDMEM_HPP_
