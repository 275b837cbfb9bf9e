// Host buffers: aligned for vector loads, zeroed when mapped, and a large
// freed buffer leaves the process (its pages are no longer resident).
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>

#include "crema/host_memory.hpp"
#include "crema/syncedmem.hpp"

namespace crema {
namespace {

long ResidentKb() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

TEST(HostMemory, AlignedSmallAndLarge) {
  for (size_t bytes : {size_t{1}, size_t{100}, size_t{4096}, size_t{3} << 20}) {
    void* p = AllocHost(bytes);
    EXPECT_EQ(0u, reinterpret_cast<std::uintptr_t>(p) % 64) << bytes;
    std::memset(p, 1, bytes);
    FreeHost(p, bytes);
  }
}

TEST(HostMemory, LargeBuffersArriveZeroedAndGoBackWhenFreed) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "AddressSanitizer keeps the shadow of freed memory resident";
#endif
  const size_t bytes = size_t{64} << 20;
  ASSERT_TRUE(AllocHostZeroes(bytes));
  EXPECT_FALSE(AllocHostZeroes(1000));
  const long before = ResidentKb();
  if (before < 0) GTEST_SKIP() << "no /proc/self/status here";
  auto* p = static_cast<unsigned char*>(AllocHost(bytes));
  for (size_t i = 0; i < bytes; i += 4096) ASSERT_EQ(0, p[i]) << i;
  std::memset(p, 7, bytes);
  EXPECT_GT(ResidentKb(), before + 60 * 1024);
  FreeHost(p, bytes);
  EXPECT_LT(ResidentKb(), before + 8 * 1024);
}

TEST(HostMemory, BlobsReadZerosFromMappedBuffers) {
  SyncedMemory mem(size_t{2} << 20);
  const auto* v = static_cast<const float*>(mem.cpu_data());
  for (size_t i = 0; i < (size_t{2} << 20) / sizeof(float); i += 997) ASSERT_EQ(0.f, v[i]);
}

}  // namespace
}  // namespace crema
