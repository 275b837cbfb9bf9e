// BLAS wrappers (OpenBLAS's CBLAS underneath) and the element-wise helpers
// layers and solvers share. All on float32, all on host memory.
#ifndef CREMA_MATH_MATH_FUNCTIONS_HPP_
#define CREMA_MATH_MATH_FUNCTIONS_HPP_

#include <cblas.h>

#include <cstdint>
#include <cstring>

#include "crema/common.hpp"

namespace crema {

// C = alpha * op(A) * op(B) + beta * C, row-major; op(A) is M x K, op(B) K x N.
void cpu_gemm(CBLAS_TRANSPOSE trans_a, CBLAS_TRANSPOSE trans_b, int M, int N,
              int K, float alpha, const float* A, const float* B, float beta,
              float* C);
// y = alpha * op(A) * x + beta * y; A is M x N row-major.
void cpu_gemv(CBLAS_TRANSPOSE trans_a, int M, int N, float alpha,
              const float* A, const float* x, float beta, float* y);

void cpu_axpy(int n, float alpha, const float* x, float* y);      // y += a*x
void cpu_axpby(int n, float alpha, const float* x, float beta,    // y = a*x + b*y
               float* y);
void cpu_scal(int n, float alpha, float* x);                      // x *= a
void cpu_copy(int n, const float* x, float* y);
void cpu_set(int n, float value, float* y);
inline void cpu_zero(int n, float* y) { std::memset(y, 0, sizeof(float) * n); }

float cpu_asum(int n, const float* x);
float cpu_dot(int n, const float* x, const float* y);
float cpu_strided_dot(int n, const float* x, int incx, const float* y, int incy);

// Element-wise: y[i] = a[i] op b[i].
void cpu_add(int n, const float* a, const float* b, float* y);
void cpu_sub(int n, const float* a, const float* b, float* y);
void cpu_mul(int n, const float* a, const float* b, float* y);
void cpu_div(int n, const float* a, const float* b, float* y);
// Element-wise unary: y[i] = f(a[i]).
void cpu_add_scalar(int n, float alpha, float* y);  // y += alpha
void cpu_scale(int n, float alpha, const float* x, float* y);  // y = alpha*x
void cpu_powx(int n, const float* a, float b, float* y);
void cpu_sqr(int n, const float* a, float* y);
void cpu_sqrt(int n, const float* a, float* y);
void cpu_exp(int n, const float* a, float* y);
void cpu_log(int n, const float* a, float* y);
void cpu_abs(int n, const float* a, float* y);
void cpu_sign(int n, const float* a, float* y);  // -1, 0 or 1

// bfloat16: the upper 16 bits of a float32, rounded to nearest even (NaN
// stays a quiet NaN of the same sign).
inline uint16_t FloatToBf16(float x) {
  uint32_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  if ((bits & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((bits >> 16) | 0x40u);
  bits += 0x7fffu + ((bits >> 16) & 1u);
  return static_cast<uint16_t>(bits >> 16);
}
inline float Bf16ToFloat(uint16_t x) {
  const uint32_t bits = static_cast<uint32_t>(x) << 16;
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}
void cpu_to_bf16(int n, const float* x, uint16_t* y);
// y -= x, and y's new values to y_bf16, in one pass (a solver step on
// weights an engine reads as bf16).
void cpu_sub_inplace_with_bf16(int n, const float* x, float* y, uint16_t* y_bf16);

// Random draws from the process random engine (Crema::rng()).
void rng_uniform(int n, float a, float b, float* r);  // U[a, b]
void rng_gaussian(int n, float mu, float sigma, float* r);
void rng_bernoulli(int n, float p, int* r);
void rng_bernoulli(int n, float p, unsigned int* r);

}  // namespace crema

#endif  // CREMA_MATH_MATH_FUNCTIONS_HPP_
