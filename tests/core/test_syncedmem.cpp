// SyncedMemory holding an engine's own layout: engines write into it, and
// ToPlain converts it back, once, into a plain buffer that never moves.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <vector>

#include "crema/blob.hpp"
#include "crema/math/math_functions.hpp"
#include "crema/syncedmem.hpp"

namespace crema {
namespace {

// A toy layout: the values in reverse order, followed by `pad` unused floats.
class ReversedLayout : public EngineLayout {
 public:
  ReversedLayout(int count, int pad, int* conversions)
      : count_(count), pad_(pad), conversions_(conversions) {}
  size_t bytes() const override { return (count_ + pad_) * sizeof(float); }
  size_t plain_bytes() const override { return count_ * sizeof(float); }
  void ToPlain(const void* src, void* dst) const override {
    const float* s = static_cast<const float*>(src);
    float* d = static_cast<float*>(dst);
    for (int i = 0; i < count_; ++i) d[i] = s[count_ - 1 - i];
    ++*conversions_;
  }

 private:
  int count_, pad_;
  int* conversions_;
};

void WriteReversed(void* at, int count) {
  float* p = static_cast<float*>(at);
  for (int i = 0; i < count; ++i) p[i] = static_cast<float>(count - 1 - i);
}

TEST(SyncedMemoryLayout, ToPlainConvertsOnceAndTheBufferStays) {
  int conversions = 0;
  SyncedMemory mem(6 * sizeof(float));
  const void* plain_at = mem.cpu_data();
  auto layout = std::make_shared<ReversedLayout>(6, 0, &conversions);
  void* at = mem.mutable_engine_data(layout);
  ASSERT_NE(nullptr, at);
  WriteReversed(at, 6);
  EXPECT_EQ(layout.get(), mem.layout());
  EXPECT_EQ(SyncedMemory::Holds::kEngine, mem.holds());
  EXPECT_EQ(at, mem.engine_data());  // engines see it as written
  EXPECT_EQ(0, conversions);
  mem.ToPlain();
  EXPECT_EQ(nullptr, mem.layout());
  const float* plain = static_cast<const float*>(mem.cpu_data());
  EXPECT_EQ(plain_at, plain);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(static_cast<float>(i), plain[i]);
  mem.ToPlain();
  mem.mutable_cpu_data();
  EXPECT_EQ(1, conversions);
}

// Plain accessors never convert: reading while only the engine holds the
// values is a bug the memory refuses.
TEST(SyncedMemoryLayoutDeathTest, PlainReadOfEngineValuesIsRefused) {
  int conversions = 0;
  SyncedMemory mem(4 * sizeof(float));
  mem.mutable_engine_data(std::make_shared<ReversedLayout>(4, 0, &conversions));
  EXPECT_DEATH(mem.cpu_data(), "ToPlain");
  EXPECT_EQ(0, conversions);
}

// A small tensor in a large shared buffer converts in place; the rest of
// the buffer is left as it was.
TEST(SyncedMemoryLayout, SmallTensorInASharedBufferConvertsInPlace) {
  int conversions = 0;
  SyncedMemory mem(64 * sizeof(float));
  float* buffer = static_cast<float*>(mem.mutable_cpu_data());
  for (int i = 0; i < 64; ++i) buffer[i] = -1.f;
  float* at = static_cast<float*>(
      mem.mutable_engine_data(std::make_shared<ReversedLayout>(5, 1, &conversions)));
  ASSERT_EQ(buffer, at);
  WriteReversed(at, 5);
  mem.ToPlain();
  const float* plain = static_cast<const float*>(mem.cpu_data());
  EXPECT_EQ(buffer, plain);
  EXPECT_EQ(1, conversions);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(static_cast<float>(i), plain[i]);
  for (int i = 6; i < 64; ++i) EXPECT_EQ(-1.f, plain[i]) << i;
}

// The values of a dead blob are forgotten, not converted.
TEST(SyncedMemoryLayout, DiscardedValuesAreNotConverted) {
  int conversions = 0;
  SyncedMemory mem(8 * sizeof(float));
  void* at = mem.mutable_engine_data(std::make_shared<ReversedLayout>(8, 0, &conversions));
  mem.discard_values();
  EXPECT_EQ(nullptr, mem.layout());
  EXPECT_EQ(at, mem.mutable_cpu_data());
  mem.ToPlain();
  EXPECT_EQ(0, conversions);
}

// A padded layout gets a buffer of its own: the plain one stays where it
// was, and after ToPlain both forms are current.
TEST(SyncedMemoryLayout, PaddedLayoutsLiveBesideThePlainBuffer) {
  int conversions = 0;
  SyncedMemory mem(4 * sizeof(float));
  const void* plain_at = mem.cpu_data();
  auto layout = std::make_shared<ReversedLayout>(4, 12, &conversions);
  float* at = static_cast<float*>(mem.mutable_engine_data(layout));
  ASSERT_NE(nullptr, at);
  EXPECT_NE(plain_at, static_cast<void*>(at));
  WriteReversed(at, 4);
  at[15] = 99.f;  // the padding is writable
  EXPECT_EQ(4 * sizeof(float), mem.size());
  mem.ToPlain();
  EXPECT_EQ(SyncedMemory::Holds::kBoth, mem.holds());
  EXPECT_EQ(layout.get(), mem.layout());
  const float* plain = static_cast<const float*>(mem.cpu_data());
  EXPECT_EQ(plain_at, plain);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(static_cast<float>(i), plain[i]);
  EXPECT_EQ(1, conversions);
  // Writing plain values makes the engine form stale; writing the layout
  // again reuses its buffer.
  mem.mutable_cpu_data();
  EXPECT_EQ(nullptr, mem.layout());
  EXPECT_EQ(static_cast<void*>(at), mem.mutable_engine_data(layout));
}

// Memory whose plain values someone keeps gets its engine form beside them,
// so after ToPlain both are current and nothing converts back and forth.
TEST(SyncedMemoryLayout, KeptPlainValuesLiveBesideTheEngineForm) {
  int conversions = 0;
  SyncedMemory mem(6 * sizeof(float));
  mem.set_keep_plain(true);
  const void* plain_at = mem.cpu_data();
  auto layout = std::make_shared<ReversedLayout>(6, 0, &conversions);
  void* at = mem.mutable_engine_data(layout);
  EXPECT_NE(plain_at, at);
  WriteReversed(at, 6);
  mem.ToPlain();
  EXPECT_EQ(SyncedMemory::Holds::kBoth, mem.holds());
  EXPECT_EQ(at, mem.engine_data());
  for (int i = 0; i < 6; ++i) EXPECT_EQ(static_cast<float>(i), static_cast<const float*>(plain_at)[i]);
  EXPECT_EQ(1, conversions);
}

TEST(SyncedMemoryLayout, BorrowedBufferStaysWhereItsOwnerPutIt) {
  int conversions = 0;
  float owned[4] = {1, 2, 3, 4};
  SyncedMemory mem(sizeof(owned));
  mem.set_cpu_data(owned);
  // Too large for the owner's buffer: the engine form goes beside it.
  void* padded = mem.mutable_engine_data(std::make_shared<ReversedLayout>(4, 4, &conversions));
  EXPECT_NE(static_cast<void*>(owned), padded);
  WriteReversed(padded, 4);
  mem.ToPlain();
  EXPECT_EQ(owned, mem.cpu_data());
  for (int i = 0; i < 4; ++i) EXPECT_EQ(static_cast<float>(i), owned[i]);
}

TEST(SyncedMemoryLayout, BlobsSharingDataSeePlainValues) {
  int conversions = 0;
  Blob a({2, 3});
  Blob b({6});
  b.ShareData(a);
  WriteReversed(a.data()->mutable_engine_data(
                    std::make_shared<ReversedLayout>(6, 2, &conversions)),
                6);
  b.ToPlain();
  for (int i = 0; i < 6; ++i) EXPECT_EQ(static_cast<float>(i), b.cpu_data()[i]);
  EXPECT_EQ(a.cpu_data(), b.cpu_data());
  EXPECT_FLOAT_EQ(15.f, a.asum_data());
  EXPECT_EQ(1, conversions);
}

// bf16 copies: rounded to nearest even, made once, made again only after
// the values were written, and refreshed by Blob::Update in its own pass.
TEST(SyncedMemoryBf16, CopyRoundsToNearestEvenAndFollowsWrites) {
  SyncedMemory mem(8 * sizeof(float));
  float* v = static_cast<float*>(mem.mutable_cpu_data());
  const float values[8] = {1.f, 1.00390625f /* 1 + 2^-8: a tie, to 1 */,
                           1.01171875f /* 1 + 3 * 2^-8: a tie, to 1 + 2^-6 */,
                           1.0048828125f /* above the tie: up */, -2.5f, 0.f,
                           std::numeric_limits<float>::quiet_NaN(), 3.0e38f};
  std::memcpy(v, values, sizeof values);
  EXPECT_EQ(mem.bf16_copy(8), nullptr) << "no copy before one is asked for";
  const uint16_t* copy = mem.Bf16Copy(8);
  EXPECT_EQ(copy[0], 0x3f80);
  EXPECT_EQ(copy[1], 0x3f80);
  EXPECT_EQ(copy[2], 0x3f82);
  EXPECT_EQ(copy[3], 0x3f81);
  EXPECT_EQ(Bf16ToFloat(copy[4]), -2.5f);
  EXPECT_EQ(copy[5], 0);
  EXPECT_TRUE(std::isnan(Bf16ToFloat(copy[6])));
  EXPECT_EQ(copy[7], FloatToBf16(3.0e38f));
  EXPECT_FALSE(std::isinf(Bf16ToFloat(copy[7])));
  // Unchanged values: the same copy, not converted again (a value changed
  // behind the memory's back shows it was not read).
  v[0] = 5.f;
  EXPECT_EQ(mem.Bf16Copy(8), copy);
  EXPECT_EQ(copy[0], 0x3f80);
  // Written through the memory: converted again.
  static_cast<float*>(mem.mutable_cpu_data())[0] = 5.f;
  EXPECT_EQ(Bf16ToFloat(mem.Bf16Copy(8)[0]), 5.f);
}

TEST(SyncedMemoryBf16, BlobUpdateRefreshesTheCopyInItsPass) {
  Blob w({3, 5});
  Blob plain({3, 5});
  for (Blob* b : {&w, &plain}) {
    for (int i = 0; i < b->count(); ++i) {
      b->mutable_cpu_data()[i] = 0.1f * i - 0.7f;
      b->mutable_cpu_diff()[i] = 0.013f * (i % 4) - 0.02f;
    }
  }
  w.data()->Bf16Copy(w.count());
  w.Update();
  plain.Update();
  // The fp32 values are what Update always computed...
  for (int i = 0; i < w.count(); ++i) EXPECT_EQ(w.cpu_data()[i], plain.cpu_data()[i]) << i;
  // ...and the copy is theirs, current without converting again.
  const uint16_t* copy = w.data()->bf16_copy(w.count());
  ASSERT_NE(copy, nullptr);
  for (int i = 0; i < w.count(); ++i) EXPECT_EQ(copy[i], FloatToBf16(plain.cpu_data()[i])) << i;
  const uint64_t version = w.data()->version();
  EXPECT_EQ(w.data()->Bf16Copy(w.count()), copy);
  EXPECT_EQ(w.data()->version(), version);
}

// MarkZero: zeros that are written only when someone reads the values.
TEST(SyncedMemoryZero, ReadersSeeZerosAndAWholeWriterSkipsTheFill) {
  constexpr int n = 37;
  SyncedMemory m(n * sizeof(float));
  m.MarkZero();  // never allocated: allocated as zeros
  EXPECT_TRUE(m.zero_pending());
  float* p = static_cast<float*>(m.overwrite_cpu_data());
  for (int i = 0; i < n; ++i) p[i] = 1.f + i;
  const uint64_t version = m.version();
  m.MarkZero();
  EXPECT_TRUE(m.zero_pending());
  EXPECT_GT(m.version(), version);
  EXPECT_EQ(p[5], 6.f);  // not written yet
  const float* read = static_cast<const float*>(m.cpu_data());
  EXPECT_FALSE(m.zero_pending());
  for (int i = 0; i < n; ++i) EXPECT_EQ(read[i], 0.f) << i;

  // A partial writer gets the zeros too.
  for (int i = 0; i < n; ++i) p[i] = 2.f;
  m.MarkZero();
  static_cast<float*>(m.mutable_cpu_data())[0] = 3.f;
  EXPECT_EQ(p[0], 3.f);
  EXPECT_EQ(p[1], 0.f);

  // A writer of every value takes the buffer as it is.
  for (int i = 0; i < n; ++i) p[i] = 4.f;
  m.MarkZero();
  EXPECT_EQ(m.overwrite_cpu_data(), p);
  EXPECT_FALSE(m.zero_pending());
  EXPECT_EQ(p[n - 1], 4.f);  // no fill
}

TEST(SyncedMemoryZero, KeptPointersAndForeignMemoryAreZeroedAtOnce) {
  constexpr int n = 16;
  SyncedMemory viewed(n * sizeof(float));
  float* p = static_cast<float*>(viewed.mutable_cpu_data());
  for (int i = 0; i < n; ++i) p[i] = 1.f;
  viewed.set_keep_plain(true);  // a numpy view reads p directly
  viewed.MarkZero();
  EXPECT_TRUE(viewed.zero_pending());  // a writer still overwrites, as without the view
  for (int i = 0; i < n; ++i) EXPECT_EQ(p[i], 0.f) << i;

  std::vector<float> owned(n, 5.f);
  SyncedMemory foreign(n * sizeof(float));
  foreign.set_cpu_data(owned.data());
  foreign.MarkZero();
  for (int i = 0; i < n; ++i) EXPECT_EQ(owned[i], 0.f) << i;
}

TEST(SyncedMemoryZero, AnEngineFormIsDroppedNotConverted) {
  constexpr int n = 8;
  int conversions = 0;
  SyncedMemory m(n * sizeof(float));
  WriteReversed(m.mutable_engine_data(std::make_shared<ReversedLayout>(n, 0, &conversions)), n);
  m.MarkZero();
  EXPECT_EQ(m.layout(), nullptr);
  const float* read = static_cast<const float*>(m.cpu_data());
  for (int i = 0; i < n; ++i) EXPECT_EQ(read[i], 0.f) << i;
  EXPECT_EQ(conversions, 0);
}

}  // namespace
}  // namespace crema
