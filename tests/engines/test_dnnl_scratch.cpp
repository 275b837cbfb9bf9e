// The DNNL engine's scratch pool: buffers taken inside a scope go back at
// its end and are reused by the next scope, so one set serves every layer.
#ifdef CREMA_HAVE_DNNL
#include <gtest/gtest.h>

#include <thread>

#include "../../src/crema/engines/dnnl/dnnl_common.hpp"

namespace crema {
namespace dnnl_engine {
namespace {

TEST(DnnlScratchPool, BuffersGoBackAtTheEndOfTheirScope) {
  ScratchPool& pool = ScratchPool::ThisThread();
  void* first = nullptr;
  void* second = nullptr;
  {
    ScratchScope scope;
    first = pool.Take(1000);
    second = pool.Take(4000);
    EXPECT_NE(first, second);  // both in use at once
  }
  const size_t held = pool.held_bytes();
  EXPECT_GE(held, 5000u);
  {
    ScratchScope scope;
    // The next layer gets the same buffers back, smallest fit first.
    EXPECT_EQ(first, pool.Take(900));
    EXPECT_EQ(second, pool.Take(3000));
  }
  EXPECT_EQ(held, pool.held_bytes());
}

TEST(DnnlScratchPool, NestedScopesAndOneOffBuffers) {
  ScratchPool& pool = ScratchPool::ThisThread();
  const size_t before = pool.held_bytes();
  {
    ScratchScope outer;
    void* kept = pool.Take(64);
    {
      ScratchScope inner;
      void* once = pool.Take(1 << 22, /*keep=*/false);
      EXPECT_NE(kept, once);
    }
    // The inner scope's one-off buffer is gone; the outer one's is still
    // taken, so a new request gets another buffer.
    EXPECT_NE(kept, pool.Take(64));
  }
  EXPECT_LT(pool.held_bytes(), before + (1 << 22));
}

TEST(DnnlScratchPool, GrowsAFreeBufferInsteadOfAddingOne) {
  // A fresh thread has a fresh pool.
  std::thread([] {
    ScratchPool& pool = ScratchPool::ThisThread();
    EXPECT_EQ(0u, pool.held_bytes());
    {
      ScratchScope scope;
      pool.Take(16);
    }
    {
      ScratchScope scope;
      pool.Take(1000);  // larger than anything held: replaces the 16 bytes
    }
    EXPECT_EQ(1000u, pool.held_bytes());
  }).join();
}

TEST(DnnlScratchPoolDeathTest, TakingOutsideAScopeIsABug) {
  EXPECT_DEATH(ScratchPool::ThisThread().Take(16), "ScratchScope");
}

}  // namespace
}  // namespace dnnl_engine
}  // namespace crema
#endif  // CREMA_HAVE_DNNL
