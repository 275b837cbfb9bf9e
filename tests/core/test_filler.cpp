#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "crema/filler.hpp"
#include "crema/math/math_functions.hpp"
#include "support/test_util.hpp"

namespace crema {
namespace {

FillerParameter Param(const std::string& text) {
  return testing::ParseText<FillerParameter>(text);
}

TEST(FillerTest, Constant) {
  Blob blob({2, 3, 4});
  GetFiller(Param("type: 'constant' value: 2.5"))->Fill(&blob);
  for (int i = 0; i < blob.count(); ++i) EXPECT_EQ(2.5f, blob.cpu_data()[i]);
}

TEST(FillerTest, UniformStaysInRange) {
  Blob blob({1000});
  GetFiller(Param("type: 'uniform' min: -0.5 max: 2"))->Fill(&blob);
  float lo = 1e9, hi = -1e9;
  for (int i = 0; i < blob.count(); ++i) {
    lo = std::min(lo, blob.cpu_data()[i]);
    hi = std::max(hi, blob.cpu_data()[i]);
  }
  EXPECT_GE(lo, -0.5f);
  EXPECT_LE(hi, 2.f);
  EXPECT_LT(lo, -0.4f);
  EXPECT_GT(hi, 1.9f);
}

void MeanAndStd(const Blob& blob, double* mean, double* std) {
  double sum = 0, sumsq = 0;
  for (int i = 0; i < blob.count(); ++i) {
    sum += blob.cpu_data()[i];
    sumsq += blob.cpu_data()[i] * blob.cpu_data()[i];
  }
  *mean = sum / blob.count();
  *std = std::sqrt(sumsq / blob.count() - *mean * *mean);
}

TEST(FillerTest, GaussianMoments) {
  Blob blob({100, 100});
  GetFiller(Param("type: 'gaussian' mean: 1 std: 3"))->Fill(&blob);
  double mean, std;
  MeanAndStd(blob, &mean, &std);
  EXPECT_NEAR(1, mean, 0.1);
  EXPECT_NEAR(3, std, 0.1);
}

TEST(FillerTest, SparseGaussianKeepsAboutSparseInputsPerOutput) {
  Blob blob({50, 400});
  GetFiller(Param("type: 'gaussian' std: 1 sparse: 10"))->Fill(&blob);
  int nonzero = 0;
  for (int i = 0; i < blob.count(); ++i) nonzero += blob.cpu_data()[i] != 0;
  // p = sparse / num_outputs = 10 / 50.
  EXPECT_NEAR(0.2, static_cast<double>(nonzero) / blob.count(), 0.02);
}

TEST(FillerTest, SparseAboveTheOutputCountIsAnError) {
  Blob blob({4, 10});
  try {
    GetFiller(Param("type: 'gaussian' std: 1 sparse: 5"))->Fill(&blob);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("only 4 outputs"), std::string::npos) << e.what();
  }
}

TEST(FillerTest, RandomDrawsRejectBadParameters) {
  std::vector<float> values(3);
  std::vector<int> mask(3);
  EXPECT_THROW(rng_uniform(3, 1.f, 0.f, values.data()), Error);
  EXPECT_THROW(rng_gaussian(3, 0.f, 0.f, values.data()), Error);
  EXPECT_THROW(rng_bernoulli(3, 1.5f, mask.data()), Error);
  EXPECT_THROW(rng_bernoulli(3, -0.1f, mask.data()), Error);
  EXPECT_NO_THROW(rng_bernoulli(3, 1.f, mask.data()));
}

TEST(FillerTest, PositiveUnitballRowsSumToOne) {
  Blob blob({4, 5, 2});
  GetFiller(Param("type: 'positive_unitball'"))->Fill(&blob);
  for (int n = 0; n < 4; ++n) {
    float sum = 0;
    for (int j = 0; j < 10; ++j) {
      EXPECT_GE(blob.cpu_data()[n * 10 + j], 0.f);
      sum += blob.cpu_data()[n * 10 + j];
    }
    EXPECT_NEAR(1.f, sum, 1e-5);
  }
}

TEST(FillerTest, XavierUsesFanInFanOutOrAverage) {
  // 20 x 10 x 3 x 3: fan_in = 90, fan_out = 180.
  for (auto [norm, n] : {std::pair<const char*, double>{"FAN_IN", 90},
                         {"FAN_OUT", 180}, {"AVERAGE", 135}}) {
    Blob blob(20, 10, 3, 3);
    GetFiller(Param(std::string("type: 'xavier' variance_norm: ") + norm))->Fill(&blob);
    const double scale = std::sqrt(3.0 / n);
    double mean, std;
    MeanAndStd(blob, &mean, &std);
    EXPECT_NEAR(scale / std::sqrt(3.0), std, 0.1 * scale) << norm;
    for (int i = 0; i < blob.count(); ++i) {
      ASSERT_LE(std::fabs(blob.cpu_data()[i]), scale + 1e-6) << norm;
    }
  }
}

TEST(FillerTest, MSRAStd) {
  Blob blob(64, 32, 3, 3);  // fan_in 288, fan_out 576
  GetFiller(Param("type: 'msra' variance_norm: FAN_OUT"))->Fill(&blob);
  double mean, std;
  MeanAndStd(blob, &mean, &std);
  EXPECT_NEAR(std::sqrt(2.0 / 576), std, 0.05 * std::sqrt(2.0 / 576));
  EXPECT_NEAR(0, mean, 0.005);
}

// Caffe's kernel: f = ceil(K / 2), c = (K - 1) / (2 f); the weight at (y, x)
// is (1 - |x / f - c|) (1 - |y / f - c|), the same for every (num, channel).
void ExpectBilinear(int size, const std::vector<float>& axis) {
  Blob blob(2, 3, size, size);
  GetFiller(Param("type: 'bilinear'"))->Fill(&blob);
  const int plane = size * size;
  for (int i = 0; i < blob.count(); ++i) {
    const int x = i % size, y = (i / size) % size;
    ASSERT_NEAR(axis[y] * axis[x], blob.cpu_data()[i], 1e-6)
        << "K " << size << " plane " << i / plane << " y " << y << " x " << x;
  }
}

TEST(FillerTest, BilinearKernelEven) {
  // K = 4: f = 2, c = 0.75; along an axis 1 - |x/2 - 0.75|.
  ExpectBilinear(4, {0.25f, 0.75f, 0.75f, 0.25f});
  // The full 4 x 4 plane, written out.
  const float expected[16] = {0.0625f, 0.1875f, 0.1875f, 0.0625f,
                              0.1875f, 0.5625f, 0.5625f, 0.1875f,
                              0.1875f, 0.5625f, 0.5625f, 0.1875f,
                              0.0625f, 0.1875f, 0.1875f, 0.0625f};
  Blob blob(1, 1, 4, 4);
  GetFiller(Param("type: 'bilinear'"))->Fill(&blob);
  for (int i = 0; i < 16; ++i) EXPECT_NEAR(expected[i], blob.cpu_data()[i], 1e-6) << i;
}

TEST(FillerTest, BilinearKernelOdd) {
  // K = 3: f = 2, c = 0.5; along an axis 0.5, 1, 0.5 (centred).
  ExpectBilinear(3, {0.5f, 1.f, 0.5f});
  // K = 5: f = 3, c = 2/3; along an axis 1/3, 2/3, 1, 2/3, 1/3.
  ExpectBilinear(5, {1 / 3.f, 2 / 3.f, 1.f, 2 / 3.f, 1 / 3.f});
}

TEST(FillerTest, BilinearRejectsNonSquareAndSparse) {
  Blob wide(1, 1, 3, 4);
  EXPECT_THROW(GetFiller(Param("type: 'bilinear'"))->Fill(&wide), Error);
  Blob flat({4, 4});
  EXPECT_THROW(GetFiller(Param("type: 'bilinear'"))->Fill(&flat), Error);
  try {
    GetFiller(Param("type: 'bilinear' sparse: 2"));
    FAIL() << "sparse bilinear should be refused";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("bilinear"), std::string::npos) << what;
    EXPECT_NE(what.find("sparse"), std::string::npos) << what;
  }
  // Caffe refuses sparse for every filler but gaussian.
  EXPECT_THROW(GetFiller(Param("type: 'xavier' sparse: 3")), Error);
  EXPECT_THROW(GetFiller(Param("type: 'constant' sparse: 0")), Error);
  EXPECT_NO_THROW(GetFiller(Param("type: 'bilinear' sparse: -1")));
}

TEST(FillerTest, UnknownTypeIsAnError) {
  EXPECT_THROW(GetFiller(Param("type: 'gausian'")), Error);
  EXPECT_THROW(GetFiller(Param("type: 'gaussian' std: 0")), Error);
  EXPECT_THROW(GetFiller(Param("type: 'uniform' min: 1 max: 0")), Error);
}

TEST(FillerTest, SeededRunsRepeat) {
  Blob a({10}), b({10});
  Crema::set_random_seed(7);
  GetFiller(Param("type: 'gaussian'"))->Fill(&a);
  Crema::set_random_seed(7);
  GetFiller(Param("type: 'gaussian'"))->Fill(&b);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(a.cpu_data()[i], b.cpu_data()[i]);
}

}  // namespace
}  // namespace crema
