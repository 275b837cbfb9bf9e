// The SGEMM ceiling for `make bench`: GFLOP/s of OpenBLAS's single-precision
// matrix product (the library crema's reference engine runs on) at the sizes
// of VGG16's large convolutions, with the process's OpenMP threads. The
// benchmark reports convolution speeds as a fraction of this figure.
//
// Usage: sgemm_ceiling [ITERATIONS]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "crema/math/math_functions.hpp"

int main(int argc, char** argv) {
  const int iterations = argc > 1 ? std::max(1, std::atoi(argv[1])) : 5;
  // M x K times K x N: conv3_1-like (256 x 1152 x 3136) and a square 2048.
  const int shapes[][3] = {{256, 1152, 3136}, {2048, 2048, 2048}};
  double best = 0;
  for (const auto& s : shapes) {
    const int m = s[0], k = s[1], n = s[2];
    std::vector<float> a(static_cast<size_t>(m) * k), b(static_cast<size_t>(k) * n),
        c(static_cast<size_t>(m) * n);
    crema::rng_uniform(a.size(), -1.f, 1.f, a.data());
    crema::rng_uniform(b.size(), -1.f, 1.f, b.data());
    std::vector<double> ms;
    for (int it = 0; it <= iterations; ++it) {  // the first run warms up
      const auto start = std::chrono::steady_clock::now();
      crema::cpu_gemm(CblasNoTrans, CblasNoTrans, m, n, k, 1.f, a.data(), b.data(), 0.f,
                      c.data());
      const double t = std::chrono::duration<double, std::milli>(
                           std::chrono::steady_clock::now() - start).count();
      if (it > 0) ms.push_back(t);
    }
    std::sort(ms.begin(), ms.end());
    const double median = ms[ms.size() / 2];
    const double gflops = 2.0 * m * n * k / 1e6 / median;
    std::printf("SGEMM %d x %d x %d: %.2f ms, %.1f GFLOP/s\n", m, k, n, median, gflops);
    best = std::max(best, gflops);
  }
  std::printf("SGEMM ceiling: %.1f GFLOP/s\n", best);
  return 0;
}
