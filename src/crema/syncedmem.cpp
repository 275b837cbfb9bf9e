#include "crema/syncedmem.hpp"

#include <cstring>

#include "crema/common.hpp"
#include "crema/host_memory.hpp"

namespace crema {

SyncedMemory::~SyncedMemory() {
  if (own_cpu_data_) FreeHost(cpu_ptr_, alloc_size_);
}

void SyncedMemory::ToCpu() {
  switch (head_) {
    case UNINITIALIZED:
      cpu_ptr_ = AllocHost(size_);
      if (!AllocHostZeroes(size_)) std::memset(cpu_ptr_, 0, size_);
      alloc_size_ = size_;
      own_cpu_data_ = true;
      head_ = HEAD_AT_CPU;
      break;
    case HEAD_AT_GPU:
      // A device engine copies its fresh data back here.
      LOG(FATAL) << "No device memory support is built into crema.";
      break;
    case HEAD_AT_CPU:
    case SYNCED:
      break;
  }
}

void SyncedMemory::ToPlain() {
  if (!layout_) return;
  const size_t plain = layout_->plain_bytes();
  CHECK_LE(plain, size_) << "an engine layout of more values than the memory holds";
  if (own_cpu_data_ && plain == size_) {
    // The values fill the buffer: convert into a new one of its capacity.
    const size_t capacity = alloc_size_ > size_ ? alloc_size_ : size_;
    void* fresh = AllocHost(capacity);
    layout_->ToPlain(cpu_ptr_, fresh);
    FreeHost(cpu_ptr_, alloc_size_);
    cpu_ptr_ = fresh;
    alloc_size_ = capacity;
  } else {
    // A smaller tensor in a shared buffer, or a borrowed buffer that stays
    // where its owner put it: convert through a copy of the values' size.
    void* values = AllocHost(plain);
    layout_->ToPlain(cpu_ptr_, values);
    std::memcpy(cpu_ptr_, values, plain);
    FreeHost(values, plain);
  }
  layout_.reset();
}

const void* SyncedMemory::cpu_data() {
  ToCpu();
  ToPlain();
  return cpu_ptr_;
}

void* SyncedMemory::mutable_cpu_data() {
  ToCpu();
  ToPlain();
  head_ = HEAD_AT_CPU;
  return cpu_ptr_;
}

const void* SyncedMemory::raw_cpu_data() {
  ToCpu();
  return cpu_ptr_;
}

void* SyncedMemory::mutable_engine_data(std::shared_ptr<const EngineLayout> layout) {
  CHECK(layout);
  ToCpu();
  const size_t bytes = layout->bytes();
  if (bytes > alloc_size_) {
    if (!own_cpu_data_) return nullptr;
    void* bigger = AllocHost(bytes);
    FreeHost(cpu_ptr_, alloc_size_);
    cpu_ptr_ = bigger;
    alloc_size_ = bytes;
  }
  layout_ = std::move(layout);
  head_ = HEAD_AT_CPU;
  return cpu_ptr_;
}

void SyncedMemory::set_cpu_data(void* data) {
  CHECK(data);
  if (own_cpu_data_) FreeHost(cpu_ptr_, alloc_size_);
  cpu_ptr_ = data;
  alloc_size_ = size_;
  layout_.reset();
  head_ = HEAD_AT_CPU;
  own_cpu_data_ = false;
}

}  // namespace crema
