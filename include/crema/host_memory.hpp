// Host buffers for tensors and engine scratch, 64-byte aligned. Buffers of
// 1 MiB and more are mapped from the system directly: they arrive zeroed
// (their pages become resident only once written) and go back to the
// system when freed, so a freed blob or scratch buffer never lingers in the
// process's heap.
#ifndef CREMA_HOST_MEMORY_HPP_
#define CREMA_HOST_MEMORY_HPP_

#include <cstddef>

namespace crema {

// Throws crema::Error when the memory is not there.
void* AllocHost(size_t bytes);
// `bytes` as passed to AllocHost.
void FreeHost(void* ptr, size_t bytes);
// Whether AllocHost(bytes) returns zeros without being asked to.
bool AllocHostZeroes(size_t bytes);

}  // namespace crema

#endif  // CREMA_HOST_MEMORY_HPP_
