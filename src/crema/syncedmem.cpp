#include "crema/syncedmem.hpp"

#include <cstring>

#include "crema/common.hpp"
#include "crema/host_memory.hpp"
#include "crema/math/math_functions.hpp"

namespace crema {

void EngineLayout::ToPlainInPlace(void* buffer) const {
  const size_t held = bytes();
  void* copy = AllocHost(held);
  std::memcpy(copy, buffer, held);
  ToPlain(copy, buffer);
  FreeHost(copy, held);
}

SyncedMemory::~SyncedMemory() {
  if (own_cpu_data_) FreeHost(cpu_ptr_, size_);
  if (engine_alloc_) FreeHost(engine_ptr_, engine_alloc_);
  if (bf16_ptr_) FreeHost(bf16_ptr_, bf16_count_ * sizeof(uint16_t));
}

void SyncedMemory::AllocatePlain() {
  if (cpu_ptr_) return;
  cpu_ptr_ = AllocHost(size_);
  if (!AllocHostZeroes(size_)) std::memset(cpu_ptr_, 0, size_);
  own_cpu_data_ = true;
  holds_ = Holds::kPlain;
}

void SyncedMemory::FillPendingZeros() {
  if (!zero_pending_) return;
  zero_pending_ = false;
  if (!zeros_written_) std::memset(cpu_ptr_, 0, size_);
}

const void* SyncedMemory::cpu_data() {
  AllocatePlain();
  CHECK(holds_ != Holds::kEngine)
      << "plain values read while only an engine's layout holds them; "
         "they are converted by ToPlain() (see syncedmem.hpp)";
  FillPendingZeros();
  return cpu_ptr_;
}

void* SyncedMemory::mutable_cpu_data() {
  FillPendingZeros();
  return overwrite_cpu_data();
}

void* SyncedMemory::overwrite_cpu_data() {
  AllocatePlain();
  CHECK(holds_ != Holds::kEngine)
      << "plain values written while only an engine's layout holds them; "
         "convert (ToPlain) or discard them first (see syncedmem.hpp)";
  zero_pending_ = false;
  holds_ = Holds::kPlain;
  ++version_;
  return cpu_ptr_;
}

void SyncedMemory::MarkZero() {
  const bool fresh = !cpu_ptr_;
  AllocatePlain();  // (fresh memory is allocated as zeros)
  holds_ = Holds::kPlain;  // an engine form is dropped, not converted
  ++version_;
  // Every pass of a solver takes the same path (a writer overwrites), so
  // that a run is bit for bit the same whether or not it was resumed or
  // viewed from Python; only when the zeros are written differs.
  zero_pending_ = true;
  zeros_written_ = fresh || keep_plain_ || !own_cpu_data_;
  if (zeros_written_ && !fresh) std::memset(cpu_ptr_, 0, size_);
}

void SyncedMemory::set_cpu_data(void* data) {
  CHECK(data);
  if (own_cpu_data_) FreeHost(cpu_ptr_, size_);
  if (engine_ptr_ == cpu_ptr_) engine_ptr_ = nullptr;
  cpu_ptr_ = data;
  own_cpu_data_ = false;
  zero_pending_ = false;
  holds_ = Holds::kPlain;
  ++version_;
}

const void* SyncedMemory::engine_data() const {
  CHECK(layout()) << "no engine layout is current in this memory";
  return engine_ptr_;
}

void* SyncedMemory::mutable_engine_data(std::shared_ptr<const EngineLayout> layout) {
  CHECK(layout);
  AllocatePlain();
  const size_t bytes = layout->bytes();
  if (engine_alloc_ == 0 && bytes <= size_ && !keep_plain_) {
    engine_ptr_ = cpu_ptr_;
  } else if (engine_alloc_ < bytes) {
    if (engine_alloc_) FreeHost(engine_ptr_, engine_alloc_);
    engine_ptr_ = AllocHost(bytes);
    engine_alloc_ = bytes;
  }
  layout_ = std::move(layout);
  zero_pending_ = false;  // the caller writes every value in the layout
  holds_ = Holds::kEngine;
  ++version_;
  return engine_ptr_;
}

void SyncedMemory::ToPlain() {
  if (holds_ != Holds::kEngine) return;
  CHECK_LE(layout_->plain_bytes(), size_) << "an engine layout of more values than the memory holds";
  if (EngineInPlainBuffer()) {
    layout_->ToPlainInPlace(cpu_ptr_);
    holds_ = Holds::kPlain;
  } else {
    layout_->ToPlain(engine_ptr_, cpu_ptr_);
    holds_ = Holds::kBoth;
  }
}

const uint16_t* SyncedMemory::Bf16Copy(size_t count) {
  CHECK_LE(count * sizeof(float), size_) << "a bf16 copy of more values than the memory holds";
  if (count > bf16_count_) {
    if (bf16_ptr_) FreeHost(bf16_ptr_, bf16_count_ * sizeof(uint16_t));
    bf16_ptr_ = static_cast<uint16_t*>(AllocHost(count * sizeof(uint16_t)));
    bf16_count_ = count;
    bf16_version_ = version_ - 1;  // stale
  }
  if (bf16_version_ != version_) {
    ToPlain();
    cpu_to_bf16(static_cast<int>(count), static_cast<const float*>(cpu_data()), bf16_ptr_);
    bf16_version_ = version_;
  }
  return bf16_ptr_;
}

void SyncedMemory::discard_values() {
  if (holds_ == Holds::kEngine || holds_ == Holds::kBoth) holds_ = Holds::kPlain;
}

}  // namespace crema
