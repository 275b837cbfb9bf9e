#include "crema/syncedmem.hpp"

#include <cstdlib>
#include <cstring>
#include <new>

#include "crema/common.hpp"

namespace crema {
namespace {

constexpr size_t kAlignment = 64;

void* AllocHost(size_t size) {
  size_t rounded = (size + kAlignment - 1) / kAlignment * kAlignment;
  if (rounded == 0) rounded = kAlignment;
  void* ptr = std::aligned_alloc(kAlignment, rounded);
  if (!ptr) {
    Throw("Out of memory: could not allocate ", size, " bytes for a blob.");
  }
  return ptr;
}

}  // namespace

SyncedMemory::~SyncedMemory() {
  if (own_cpu_data_) std::free(cpu_ptr_);
}

void SyncedMemory::ToCpu() {
  switch (head_) {
    case UNINITIALIZED:
      cpu_ptr_ = AllocHost(size_);
      std::memset(cpu_ptr_, 0, size_);
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

const void* SyncedMemory::cpu_data() {
  ToCpu();
  return cpu_ptr_;
}

void* SyncedMemory::mutable_cpu_data() {
  ToCpu();
  head_ = HEAD_AT_CPU;
  return cpu_ptr_;
}

void SyncedMemory::set_cpu_data(void* data) {
  CHECK(data);
  if (own_cpu_data_) std::free(cpu_ptr_);
  cpu_ptr_ = data;
  head_ = HEAD_AT_CPU;
  own_cpu_data_ = false;
}

}  // namespace crema
