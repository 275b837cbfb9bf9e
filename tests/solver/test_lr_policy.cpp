// Each learning-rate policy against its formula at several iterations.
#include <gtest/gtest.h>

#include <cmath>

#include "crema/solver.hpp"
#include "support/test_util.hpp"

namespace crema {
namespace testing {
namespace {

SolverParameter Policy(const std::string& policy) {
  SolverParameter param = ParseText<SolverParameter>(
      "base_lr: 0.01 gamma: 0.5 power: 0.75 stepsize: 10 max_iter: 100 "
      "stepvalue: 5 stepvalue: 12 stepvalue: 20");
  param.set_lr_policy(policy);
  return param;
}

const int kIters[] = {0, 1, 4, 5, 9, 10, 11, 12, 25, 50, 99};

void ExpectRate(double expected, float actual, int iter, const std::string& policy) {
  EXPECT_NEAR(actual, expected, 1e-6 * std::fabs(expected) + 1e-12)
      << policy << " at iteration " << iter;
}

TEST(LrPolicyTest, Fixed) {
  for (int it : kIters) {
    int step = 0;
    ExpectRate(0.01, LearningRate(Policy("fixed"), it, &step), it, "fixed");
  }
}

TEST(LrPolicyTest, Step) {
  for (int it : kIters) {
    int step = 0;
    ExpectRate(0.01 * std::pow(0.5, it / 10), LearningRate(Policy("step"), it, &step), it, "step");
    EXPECT_EQ(step, it / 10);
  }
}

TEST(LrPolicyTest, Exp) {
  SolverParameter param = Policy("exp");
  param.set_gamma(0.99f);
  for (int it : kIters) {
    int step = 0;
    ExpectRate(0.01 * std::pow(double(0.99f), it), LearningRate(param, it, &step), it, "exp");
  }
}

TEST(LrPolicyTest, Inv) {
  SolverParameter param = Policy("inv");
  param.set_gamma(1e-4f);
  for (int it : kIters) {
    int step = 0;
    ExpectRate(0.01 * std::pow(1 + double(1e-4f) * it, -0.75), LearningRate(param, it, &step),
               it, "inv");
  }
}

TEST(LrPolicyTest, MultiStepCalledEveryIteration) {
  const SolverParameter param = Policy("multistep");
  int step = 0;
  for (int it = 0; it < 100; ++it) {
    const float rate = LearningRate(param, it, &step);
    const int reached = (it >= 5) + (it >= 12) + (it >= 20);
    EXPECT_EQ(step, reached) << "iteration " << it;
    ExpectRate(0.01 * std::pow(0.5, reached), rate, it, "multistep");
  }
}

TEST(LrPolicyTest, MultiStepAdvancesOneStepPerCall) {
  int step = 0;
  LearningRate(Policy("multistep"), 25, &step);
  EXPECT_EQ(step, 1);  // as Caffe: one step per call even past several values
  LearningRate(Policy("multistep"), 25, &step);
  EXPECT_EQ(step, 2);
}

TEST(LrPolicyTest, Poly) {
  for (int it : kIters) {
    int step = 0;
    ExpectRate(0.01 * std::pow(1 - it / 100.0, 0.75), LearningRate(Policy("poly"), it, &step), it,
               "poly");
  }
}

TEST(LrPolicyTest, Sigmoid) {
  SolverParameter param = Policy("sigmoid");
  param.set_gamma(-0.2f);
  for (int it : kIters) {
    int step = 0;
    ExpectRate(0.01 / (1 + std::exp(-double(-0.2f) * (it - 10.0))), LearningRate(param, it, &step),
               it, "sigmoid");
  }
}

TEST(LrPolicyTest, BadPoliciesAreErrors) {
  int step = 0;
  EXPECT_THROW(LearningRate(Policy("cosine"), 0, &step), Error);
  EXPECT_THROW(LearningRate(Policy(""), 0, &step), Error);
  SolverParameter param = Policy("step");
  param.set_stepsize(0);
  EXPECT_THROW(LearningRate(param, 0, &step), Error);
  try {
    LearningRate(Policy("cosine"), 0, &step);
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("fixed, step, exp, inv, multistep, poly, sigmoid"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace testing
}  // namespace crema
