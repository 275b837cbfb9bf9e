// Caffe's learning-rate policies. With base_lr, gamma, power, stepsize,
// stepvalue and max_iter from the solver, at iteration iter:
//   fixed      base_lr
//   step       base_lr * gamma ^ floor(iter / stepsize)
//   exp        base_lr * gamma ^ iter
//   inv        base_lr * (1 + gamma * iter) ^ (-power)
//   multistep  base_lr * gamma ^ (number of stepvalues reached)
//   poly       base_lr * (1 - iter / max_iter) ^ power
//   sigmoid    base_lr / (1 + exp(-gamma * (iter - stepsize)))
#include <cmath>

#include "crema/solver.hpp"

namespace crema {
namespace {

constexpr const char* kPolicies = "fixed, step, exp, inv, multistep, poly, sigmoid";

void RequireNonNegativeGamma(const SolverParameter& param) {
  if (param.gamma() < 0) {
    Throw("lr_policy '", param.lr_policy(), "' needs a gamma of at least 0, "
          "but the solver's gamma is ", param.gamma(), ".");
  }
}

}  // namespace

float LearningRate(const SolverParameter& param, int iter, int* current_step) {
  const std::string& policy = param.lr_policy();
  const double base_lr = param.base_lr();
  const double gamma = param.gamma();
  double rate = 0;
  if (policy == "fixed") {
    rate = base_lr;
  } else if (policy == "step") {
    if (param.stepsize() <= 0) {
      Throw("lr_policy 'step' needs a positive stepsize, but the solver's "
            "stepsize is ", param.stepsize(), ".");
    }
    RequireNonNegativeGamma(param);
    *current_step = iter / param.stepsize();
    rate = base_lr * std::pow(gamma, *current_step);
  } else if (policy == "exp") {
    RequireNonNegativeGamma(param);
    rate = base_lr * std::pow(gamma, iter);
  } else if (policy == "inv") {
    RequireNonNegativeGamma(param);
    // Caffe evaluates inv, poly and sigmoid in float; so does crema, to
    // reproduce its learning rates bit for bit.
    const float g = param.gamma();
    rate = param.base_lr() * std::pow(1.f + g * iter, -param.power());
  } else if (policy == "multistep") {
    // Advances at most one step per call, as Caffe does.
    if (*current_step < param.stepvalue_size() &&
        iter >= param.stepvalue(*current_step)) {
      ++*current_step;
      LOG(INFO) << "MultiStep Status: Iteration " << iter << ", step = " << *current_step;
    }
    rate = base_lr * std::pow(gamma, *current_step);
  } else if (policy == "poly") {
    if (param.max_iter() <= 0) {
      Throw("lr_policy 'poly' needs a positive max_iter, but the solver's "
            "max_iter is ", param.max_iter(), ".");
    }
    rate = param.base_lr() *
           std::pow(1.f - static_cast<float>(iter) / static_cast<float>(param.max_iter()),
                    param.power());
  } else if (policy == "sigmoid") {
    const float g = param.gamma();
    rate = param.base_lr() *
           (1.f / (1.f + std::exp(-g * (static_cast<float>(iter) -
                                        static_cast<float>(param.stepsize())))));
  } else if (policy.empty()) {
    Throw("The solver sets no lr_policy; use one of ", kPolicies, ".");
  } else {
    Throw("Unknown lr_policy '", policy, "'; use one of ", kPolicies, ".");
  }
  return static_cast<float>(rate);
}

}  // namespace crema
