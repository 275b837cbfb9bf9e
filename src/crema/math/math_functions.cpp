#include "crema/math/math_functions.hpp"

#include <cmath>
#include <limits>
#include <random>

namespace crema {

void cpu_gemm(CBLAS_TRANSPOSE trans_a, CBLAS_TRANSPOSE trans_b, int M, int N,
              int K, float alpha, const float* A, const float* B, float beta,
              float* C) {
  const int lda = (trans_a == CblasNoTrans) ? K : M;
  const int ldb = (trans_b == CblasNoTrans) ? N : K;
  cblas_sgemm(CblasRowMajor, trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb,
              beta, C, N);
}

void cpu_gemv(CBLAS_TRANSPOSE trans_a, int M, int N, float alpha,
              const float* A, const float* x, float beta, float* y) {
  cblas_sgemv(CblasRowMajor, trans_a, M, N, alpha, A, N, x, 1, beta, y, 1);
}

void cpu_axpy(int n, float alpha, const float* x, float* y) {
  cblas_saxpy(n, alpha, x, 1, y, 1);
}

void cpu_axpby(int n, float alpha, const float* x, float beta, float* y) {
  cblas_sscal(n, beta, y, 1);
  cblas_saxpy(n, alpha, x, 1, y, 1);
}

void cpu_scal(int n, float alpha, float* x) { cblas_sscal(n, alpha, x, 1); }

void cpu_copy(int n, const float* x, float* y) {
  if (x != y) std::memcpy(y, x, sizeof(float) * n);
}

void cpu_set(int n, float value, float* y) {
  if (value == 0.f) {
    std::memset(y, 0, sizeof(float) * n);
    return;
  }
  for (int i = 0; i < n; ++i) y[i] = value;
}

float cpu_asum(int n, const float* x) { return cblas_sasum(n, x, 1); }

float cpu_dot(int n, const float* x, const float* y) {
  return cblas_sdot(n, x, 1, y, 1);
}

float cpu_strided_dot(int n, const float* x, int incx, const float* y,
                      int incy) {
  return cblas_sdot(n, x, incx, y, incy);
}

void cpu_add(int n, const float* a, const float* b, float* y) {
  for (int i = 0; i < n; ++i) y[i] = a[i] + b[i];
}
void cpu_sub(int n, const float* a, const float* b, float* y) {
  for (int i = 0; i < n; ++i) y[i] = a[i] - b[i];
}
void cpu_mul(int n, const float* a, const float* b, float* y) {
  for (int i = 0; i < n; ++i) y[i] = a[i] * b[i];
}
void cpu_div(int n, const float* a, const float* b, float* y) {
  for (int i = 0; i < n; ++i) y[i] = a[i] / b[i];
}
void cpu_add_scalar(int n, float alpha, float* y) {
  for (int i = 0; i < n; ++i) y[i] += alpha;
}
void cpu_scale(int n, float alpha, const float* x, float* y) {
  for (int i = 0; i < n; ++i) y[i] = alpha * x[i];
}
void cpu_powx(int n, const float* a, float b, float* y) {
  for (int i = 0; i < n; ++i) y[i] = std::pow(a[i], b);
}
void cpu_sqr(int n, const float* a, float* y) {
  for (int i = 0; i < n; ++i) y[i] = a[i] * a[i];
}
void cpu_sqrt(int n, const float* a, float* y) {
  for (int i = 0; i < n; ++i) y[i] = std::sqrt(a[i]);
}
void cpu_exp(int n, const float* a, float* y) {
  for (int i = 0; i < n; ++i) y[i] = std::exp(a[i]);
}
void cpu_log(int n, const float* a, float* y) {
  for (int i = 0; i < n; ++i) y[i] = std::log(a[i]);
}
void cpu_abs(int n, const float* a, float* y) {
  for (int i = 0; i < n; ++i) y[i] = std::fabs(a[i]);
}
void cpu_sign(int n, const float* a, float* y) {
  for (int i = 0; i < n; ++i) y[i] = static_cast<float>((0.f < a[i]) - (a[i] < 0.f));
}

void cpu_to_bf16(int n, const float* x, uint16_t* y) {
#pragma omp parallel for simd if (n > 65536)
  for (int i = 0; i < n; ++i) y[i] = FloatToBf16(x[i]);
}

void cpu_sub_inplace_with_bf16(int n, const float* x, float* y, uint16_t* y_bf16) {
#pragma omp parallel for simd if (n > 65536)
  for (int i = 0; i < n; ++i) {
    const float v = y[i] - x[i];
    y[i] = v;
    y_bf16[i] = FloatToBf16(v);
  }
}

void rng_uniform(int n, float a, float b, float* r) {
  if (!(a <= b)) {
    Throw("rng_uniform needs a lower bound no greater than its upper bound; got [", a,
          ", ", b, "].");
  }
  // The closed interval [a, b], as Caffe samples it.
  std::uniform_real_distribution<float> dist(
      a, std::nextafter(b, std::numeric_limits<float>::max()));
  for (int i = 0; i < n; ++i) r[i] = dist(Crema::rng());
}

void rng_gaussian(int n, float mu, float sigma, float* r) {
  if (!(sigma > 0.f)) {
    Throw("rng_gaussian needs a positive standard deviation; got ", sigma, ".");
  }
  std::normal_distribution<float> dist(mu, sigma);
  for (int i = 0; i < n; ++i) r[i] = dist(Crema::rng());
}

namespace {

void CheckProbability(float p) {
  if (!(p >= 0.f && p <= 1.f)) {
    Throw("rng_bernoulli needs a probability in [0, 1]; got ", p, ".");
  }
}

}  // namespace

void rng_bernoulli(int n, float p, int* r) {
  CheckProbability(p);
  std::bernoulli_distribution dist(p);
  for (int i = 0; i < n; ++i) r[i] = dist(Crema::rng());
}

void rng_bernoulli(int n, float p, unsigned int* r) {
  CheckProbability(p);
  std::bernoulli_distribution dist(p);
  for (int i = 0; i < n; ++i) r[i] = dist(Crema::rng());
}

}  // namespace crema
