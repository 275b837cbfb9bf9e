// The CPU's arithmetic peak per instruction family, measured with
// independent chains of one instruction on every thread (OpenMP): fp32 FMA
// (vfmadd231ps), bf16 dot products (vdpbf16ps) and u8 x s8 dot products
// (vpdpbusd, VNNI). Prints GFLOP/s (GOP/s for int8). Built by
// bench/precision.sh with -mavx512f -mavx512bf16 -mavx512vnni; the bf16 and
// VNNI rows are skipped on CPUs without them.
#include <immintrin.h>
#include <omp.h>

#include <chrono>
#include <cstdio>

namespace {

constexpr long kIters = 200000000L / 12;

template <typename Body>
double Rate(double ops_per_iter, Body body) {
  const auto start = std::chrono::steady_clock::now();
  double sink = 0;
#pragma omp parallel reduction(+ : sink)
  sink += body();
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (sink == 12345.678) std::printf(" ");
  return ops_per_iter * kIters * omp_get_max_threads() / s / 1e9;
}

#define TWELVE(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)

__attribute__((target("avx512f"))) double Fma() {
  __m512 a = _mm512_set1_ps(1e-7f), b = _mm512_set1_ps(0.999f);
#define DECL(i) __m512 c##i = _mm512_set1_ps(static_cast<float>(i));
  TWELVE(DECL)
  for (long it = 0; it < kIters; ++it) {
#define STEP(i) c##i = _mm512_fmadd_ps(c##i, b, a);
    TWELVE(STEP)
  }
  __m512 s = _mm512_setzero_ps();
#define SUM(i) s = _mm512_add_ps(s, c##i);
  TWELVE(SUM)
  return _mm512_reduce_add_ps(s);
}

__attribute__((target("avx512f,avx512bf16"))) double Bf16() {
  __m512bh a = (__m512bh)_mm512_set1_epi16(0x3f80), b = (__m512bh)_mm512_set1_epi16(0x3300);
#define DECLB(i) __m512 c##i = _mm512_set1_ps(static_cast<float>(i));
  TWELVE(DECLB)
  for (long it = 0; it < kIters; ++it) {
#define STEPB(i) c##i = _mm512_dpbf16_ps(c##i, a, b);
    TWELVE(STEPB)
  }
  __m512 s = _mm512_setzero_ps();
  TWELVE(SUM)
  return _mm512_reduce_add_ps(s);
}

__attribute__((target("avx512f,avx512vnni"))) double Vnni() {
  __m512i a = _mm512_set1_epi8(1), b = _mm512_set1_epi8(1);
#define DECLI(i) __m512i c##i = _mm512_set1_epi32(i);
  TWELVE(DECLI)
  for (long it = 0; it < kIters; ++it) {
#define STEPI(i) c##i = _mm512_dpbusd_epi32(c##i, a, b);
    TWELVE(STEPI)
  }
  __m512i s = _mm512_setzero_si512();
#define SUMI(i) s = _mm512_add_epi32(s, c##i);
  TWELVE(SUMI)
  return _mm512_reduce_add_epi32(s);
}

}  // namespace

int main() {
  __builtin_cpu_init();
  std::printf("threads: %d\n", omp_get_max_threads());
  if (__builtin_cpu_supports("avx512f")) {
    std::printf("peak fp32 FMA (vfmadd231ps): %.0f GFLOP/s\n", Rate(12 * 16 * 2, Fma));
  }
  if (__builtin_cpu_supports("avx512bf16")) {
    std::printf("peak bf16 dot (vdpbf16ps): %.0f GFLOP/s\n", Rate(12 * 32 * 2, Bf16));
  } else {
    std::printf("peak bf16 dot: no AVX512-BF16 on this CPU\n");
  }
  if (__builtin_cpu_supports("avx512vnni")) {
    std::printf("peak int8 dot (vpdpbusd): %.0f GOP/s\n", Rate(12 * 64 * 2, Vnni));
  } else {
    std::printf("peak int8 dot: no AVX512-VNNI on this CPU\n");
  }
  return 0;
}
