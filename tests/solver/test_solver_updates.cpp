// Every update rule against its formula, computed here in double precision
// on a tiny least-squares problem: TestLinear (W: 2 x 3, b: 2) under
// TestEuclideanLoss, fed records in order by TestConstData.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "crema/solver.hpp"
#include "solver/solver_test_layers.hpp"
#include "support/test_util.hpp"

namespace crema {
namespace testing {
namespace {

constexpr int kK = 3, kM = 2;

struct Config {
  std::string type = "SGD";
  double base_lr = 0.1;
  std::string lr_policy = "fixed";
  double gamma = 0, stepsize = 0;
  double momentum = 0, momentum2 = 0.999, delta = 1e-8, rms_decay = 0.99;
  double weight_decay = 0;
  std::string regularization = "L2";
  double clip = -1;
  int iter_size = 1;
  int batch = 2;
  // W then b.
  double lr_mult[2] = {1, 2};
  double decay_mult[2] = {1, 0.5};
};

SolverParameter MakeParam(const Config& c) {
  std::ostringstream os;
  os << "net_param { "
     << TinyNetText(c.batch, kK, kM, "TestConstData",
                    StrCat("param { lr_mult: ", c.lr_mult[0], " decay_mult: ", c.decay_mult[0],
                           " } param { lr_mult: ", c.lr_mult[1], " decay_mult: ",
                           c.decay_mult[1], " }"))
     << " }\n"
     << "type: '" << c.type << "' base_lr: " << c.base_lr << " lr_policy: '" << c.lr_policy
     << "' gamma: " << c.gamma << " stepsize: " << c.stepsize
     << " momentum: " << c.momentum << " momentum2: " << c.momentum2
     << " delta: " << c.delta << " rms_decay: " << c.rms_decay
     << " weight_decay: " << c.weight_decay << " regularization_type: '"
     << c.regularization << "' clip_gradients: " << c.clip
     << " iter_size: " << c.iter_size
     << " max_iter: 100 display: 0 snapshot_after_train: false random_seed: 7\n";
  return ParseText<SolverParameter>(os.str());
}

// Caffe's rules in double precision.
class Reference {
 public:
  Reference(const Config& c, const std::vector<std::vector<double>>& params)
      : c_(c), params_(params) {
    for (const auto& p : params_) {
      h1_.emplace_back(p.size(), 0.0);
      h2_.emplace_back(p.size(), 0.0);
    }
  }
  const std::vector<std::vector<double>>& params() const { return params_; }
  bool clipped() const { return clipped_; }

  void Step(int iter) {
    std::vector<std::vector<double>> grads;
    for (const auto& p : params_) grads.emplace_back(p.size(), 0.0);
    for (int pass = 0; pass < c_.iter_size; ++pass) {
      for (int i = 0; i < c_.batch; ++i) {
        const int r = cursor_;
        cursor_ = (cursor_ + 1) % kRecords;
        for (int o = 0; o < kM; ++o) {
          double pred = params_[1][o];
          for (int j = 0; j < kK; ++j) pred += params_[0][o * kK + j] * RecordFeature(r, j);
          const double res = pred - RecordLabel(r, o);
          for (int j = 0; j < kK; ++j) grads[0][o * kK + j] += res * RecordFeature(r, j) / c_.batch;
          grads[1][o] += res / c_.batch;
        }
      }
    }
    if (c_.clip >= 0) {
      double sumsq = 0;
      for (const auto& g : grads)
        for (double v : g) sumsq += v * v;
      const double norm = std::sqrt(sumsq);
      if (norm > c_.clip) {
        clipped_ = true;
        for (auto& g : grads)
          for (double& v : g) v *= c_.clip / norm;
      }
    }
    double rate = c_.base_lr;
    if (c_.lr_policy == "step") rate *= std::pow(c_.gamma, std::floor(iter / c_.stepsize));
    for (size_t p = 0; p < params_.size(); ++p) {
      auto& w = params_[p];
      auto& g = grads[p];
      const double decay = c_.weight_decay * c_.decay_mult[p];
      const double lr = rate * c_.lr_mult[p];
      for (size_t i = 0; i < w.size(); ++i) {
        g[i] /= c_.iter_size;
        if (c_.regularization == "L2") {
          g[i] += decay * w[i];
        } else {
          g[i] += decay * ((w[i] > 0) - (w[i] < 0));
        }
        double& h = h1_[p][i];
        double& h2 = h2_[p][i];
        const double mom = c_.momentum;
        double step = 0;
        if (c_.type == "SGD") {
          h = lr * g[i] + mom * h;
          step = h;
        } else if (c_.type == "Nesterov") {
          const double old = h;
          h = lr * g[i] + mom * h;
          step = (1 + mom) * h - mom * old;
        } else if (c_.type == "AdaGrad") {
          h += g[i] * g[i];
          step = lr * g[i] / (std::sqrt(h) + c_.delta);
        } else if (c_.type == "RMSProp") {
          h = c_.rms_decay * h + (1 - c_.rms_decay) * g[i] * g[i];
          step = lr * g[i] / (std::sqrt(h) + c_.delta);
        } else if (c_.type == "AdaDelta") {
          h = mom * h + (1 - mom) * g[i] * g[i];
          const double s = g[i] * std::sqrt((h2 + c_.delta) / (h + c_.delta));
          h2 = mom * h2 + (1 - mom) * s * s;
          step = lr * s;
        } else if (c_.type == "Adam") {
          const int t = iter + 1;
          h = mom * h + (1 - mom) * g[i];
          h2 = c_.momentum2 * h2 + (1 - c_.momentum2) * g[i] * g[i];
          const double correction =
              std::sqrt(1 - std::pow(c_.momentum2, t)) / (1 - std::pow(mom, t));
          step = lr * correction * h / (std::sqrt(h2) + c_.delta);
        }
        w[i] -= step;
      }
    }
  }

 private:
  Config c_;
  std::vector<std::vector<double>> params_;
  std::vector<std::vector<double>> h1_, h2_;
  int cursor_ = 0;
  bool clipped_ = false;
};

std::vector<std::vector<double>> NetParams(Solver& solver) {
  std::vector<std::vector<double>> out;
  for (const Blob* blob : solver.net().learnable_params()) {
    out.emplace_back(blob->cpu_data(), blob->cpu_data() + blob->count());
  }
  return out;
}

// Trains `iters` iterations with crema and with the reference; returns the
// reference so callers can ask about it.
Reference CheckAgainstReference(const Config& c, int iters = 6) {
  auto solver = CreateSolver(MakeParam(c));
  EXPECT_STREQ(solver->type(), c.type.c_str());
  Reference ref(c, NetParams(*solver));
  for (int it = 0; it < iters; ++it) {
    solver->Step(1);
    ref.Step(it);
    const auto actual = NetParams(*solver);
    for (size_t p = 0; p < actual.size(); ++p) {
      for (size_t i = 0; i < actual[p].size(); ++i) {
        const double expected = ref.params()[p][i];
        EXPECT_NEAR(actual[p][i], expected, 2e-5 + 2e-5 * std::fabs(expected))
            << c.type << " iteration " << it << " param " << p << " element " << i;
      }
    }
  }
  EXPECT_EQ(solver->iter(), iters);
  return ref;
}

class SolverUpdateTest : public ::testing::TestWithParam<int> {};

Config WithIterSize(Config c, int iter_size) {
  c.iter_size = iter_size;
  return c;
}

TEST_P(SolverUpdateTest, SGDMomentumL2) {
  Config c;
  c.momentum = 0.9;
  c.weight_decay = 0.01;
  CheckAgainstReference(WithIterSize(c, GetParam()));
}

TEST_P(SolverUpdateTest, SGDMomentumL1) {
  Config c;
  c.momentum = 0.5;
  c.weight_decay = 0.05;
  c.regularization = "L1";
  CheckAgainstReference(WithIterSize(c, GetParam()));
}

TEST_P(SolverUpdateTest, Nesterov) {
  Config c;
  c.type = "Nesterov";
  c.momentum = 0.9;
  c.weight_decay = 0.01;
  CheckAgainstReference(WithIterSize(c, GetParam()));
}

TEST_P(SolverUpdateTest, AdaGrad) {
  Config c;
  c.type = "AdaGrad";
  c.weight_decay = 0.01;
  c.delta = 1e-6;
  CheckAgainstReference(WithIterSize(c, GetParam()));
}

TEST_P(SolverUpdateTest, RMSProp) {
  Config c;
  c.type = "RMSProp";
  c.base_lr = 0.01;
  c.rms_decay = 0.9;
  c.weight_decay = 0.02;
  c.regularization = "L1";
  CheckAgainstReference(WithIterSize(c, GetParam()));
}

TEST_P(SolverUpdateTest, AdaDelta) {
  Config c;
  c.type = "AdaDelta";
  c.base_lr = 1.0;
  c.momentum = 0.95;
  c.delta = 1e-6;
  c.weight_decay = 0.01;
  CheckAgainstReference(WithIterSize(c, GetParam()));
}

TEST_P(SolverUpdateTest, Adam) {
  Config c;
  c.type = "Adam";
  c.base_lr = 0.01;
  c.momentum = 0.9;
  c.momentum2 = 0.999;
  c.weight_decay = 0.01;
  CheckAgainstReference(WithIterSize(c, GetParam()));
}

TEST_P(SolverUpdateTest, SGDClipGradients) {
  Config c;
  c.momentum = 0.9;
  c.clip = 0.05;
  c.weight_decay = 0.01;
  const Reference ref = CheckAgainstReference(WithIterSize(c, GetParam()));
  EXPECT_TRUE(ref.clipped()) << "the test should exercise clipping";
}

TEST_P(SolverUpdateTest, SGDStepPolicy) {
  Config c;
  c.momentum = 0.9;
  c.lr_policy = "step";
  c.gamma = 0.5;
  c.stepsize = 2;
  CheckAgainstReference(WithIterSize(c, GetParam()), 7);
}

INSTANTIATE_TEST_SUITE_P(IterSize, SolverUpdateTest, ::testing::Values(1, 2));

// iter_size passes over small batches give the step one big batch gives.
TEST(SolverIterSizeTest, MatchesOneLargeBatch) {
  for (const char* type : {"SGD", "Adam", "AdaDelta"}) {
    Config small;
    small.type = type;
    small.momentum = 0.9;
    small.weight_decay = 0.01;
    small.base_lr = std::string(type) == "AdaDelta" ? 1.0 : 0.05;
    small.batch = 2;
    small.iter_size = 2;
    Config big = small;
    big.batch = 4;
    big.iter_size = 1;
    auto a = CreateSolver(MakeParam(small));
    auto b = CreateSolver(MakeParam(big));
    a->Step(5);
    b->Step(5);
    const auto pa = NetParams(*a), pb = NetParams(*b);
    for (size_t p = 0; p < pa.size(); ++p)
      for (size_t i = 0; i < pa[p].size(); ++i)
        EXPECT_NEAR(pa[p][i], pb[p][i], 1e-5) << type;
  }
}

TEST(SolverTypeTest, LegacySolverTypeEnumSelectsTheRule) {
  Config c;
  SolverParameter param = MakeParam(c);
  param.clear_type();
  param.set_solver_type(SolverParameter::ADAM);
  EXPECT_STREQ(CreateSolver(param)->type(), "Adam");
  param.set_solver_type(SolverParameter::NESTEROV);
  EXPECT_STREQ(CreateSolver(param)->type(), "Nesterov");
}

TEST(SolverTypeTest, HistoryLayout) {
  Config c;
  for (const auto& [type, per_param] :
       std::vector<std::pair<std::string, int>>{{"SGD", 1}, {"Nesterov", 1}, {"AdaGrad", 1},
                                                {"RMSProp", 1}, {"AdaDelta", 2}, {"Adam", 2}}) {
    c.type = type;
    c.momentum = (type == "AdaGrad" || type == "RMSProp") ? 0 : 0.9;
    auto solver = CreateSolver(MakeParam(c));
    ASSERT_EQ(solver->history().size(), 2u * per_param) << type;
    EXPECT_EQ(solver->history()[0]->shape(), (std::vector<int>{kM, kK}));
    EXPECT_EQ(solver->history()[1]->shape(), (std::vector<int>{kM}));
  }
}

}  // namespace
}  // namespace testing
}  // namespace crema
