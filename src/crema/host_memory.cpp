#include "crema/host_memory.hpp"

#include <sys/mman.h>

#include <cstdlib>

#include "crema/common.hpp"

namespace crema {
namespace {

constexpr size_t kAlignment = 64;
constexpr size_t kMapped = size_t{1} << 20;  // from here on: mmap
constexpr size_t kHuge = size_t{4} << 20;    // and from here on, huge pages

size_t Rounded(size_t bytes) {
  const size_t rounded = (bytes + kAlignment - 1) / kAlignment * kAlignment;
  return rounded == 0 ? kAlignment : rounded;
}

}  // namespace

bool AllocHostZeroes(size_t bytes) { return bytes >= kMapped; }

void* AllocHost(size_t bytes) {
  void* ptr = nullptr;
  if (bytes >= kMapped) {
    ptr = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (ptr == MAP_FAILED) {
      ptr = nullptr;
    } else if (bytes >= kHuge) {
      // Large tensors (weights, activations) are streamed through: 2 MB
      // pages spare the TLB misses of 4 KB ones (advice only; the kernel
      // may decline).
      madvise(ptr, bytes, MADV_HUGEPAGE);
    }
  } else {
    ptr = std::aligned_alloc(kAlignment, Rounded(bytes));
  }
  if (!ptr) Throw("Out of memory: could not allocate ", bytes, " bytes of host memory.");
  return ptr;
}

void FreeHost(void* ptr, size_t bytes) {
  if (!ptr) return;
  if (bytes >= kMapped) {
    munmap(ptr, bytes);
  } else {
    std::free(ptr);
  }
}

}  // namespace crema
