// The update rules. Each is Caffe's, computed on float32 exactly as Caffe
// orders the operations; each lives in its own source file under
// src/crema/solvers/. They share SGDSolver's step: learning rate, gradient
// clipping, 1/iter_size normalization, L2/L1 regularization, then the rule's
// ComputeUpdateValue writes the step into each parameter's diff.
#ifndef CREMA_SOLVERS_SGD_SOLVERS_HPP_
#define CREMA_SOLVERS_SGD_SOLVERS_HPP_

#include <memory>
#include <vector>

#include "crema/solver.hpp"

namespace crema {

// Stochastic gradient descent with momentum:
//   history = local_rate * grad + momentum * history;  step = history.
class SGDSolver : public Solver {
 public:
  explicit SGDSolver(const SolverParameter& param);
  const char* type() const override { return "SGD"; }

 protected:
  void ApplyUpdate() override;
  void ClipGradients();
  void Normalize(int param_id);
  void Regularize(int param_id);
  virtual void ComputeUpdateValue(int param_id, float rate);

  // Scratch space, one blob per learnable parameter (not saved).
  std::vector<std::shared_ptr<Blob>> update_, temp_;

  // Appends one zero blob per learnable parameter to history_.
  void AddHistoryBlobs();
};

// Nesterov's accelerated gradient: the step looks ahead along the momentum.
class NesterovSolver : public SGDSolver {
 public:
  explicit NesterovSolver(const SolverParameter& param) : SGDSolver(param) {}
  const char* type() const override { return "Nesterov"; }

 protected:
  void ComputeUpdateValue(int param_id, float rate) override;
};

// AdaGrad: per-element rates scaled by the root of the summed squared
// gradients (history). No momentum.
class AdaGradSolver : public SGDSolver {
 public:
  explicit AdaGradSolver(const SolverParameter& param);
  const char* type() const override { return "AdaGrad"; }

 protected:
  void ComputeUpdateValue(int param_id, float rate) override;
};

// RMSProp: like AdaGrad with a decaying average (rms_decay). No momentum.
class RMSPropSolver : public SGDSolver {
 public:
  explicit RMSPropSolver(const SolverParameter& param);
  const char* type() const override { return "RMSProp"; }

 protected:
  void ComputeUpdateValue(int param_id, float rate) override;
};

// AdaDelta: history_ holds the decaying squared gradients (first half) and
// the decaying squared updates (second half).
class AdaDeltaSolver : public SGDSolver {
 public:
  explicit AdaDeltaSolver(const SolverParameter& param);
  const char* type() const override { return "AdaDelta"; }

 protected:
  void ComputeUpdateValue(int param_id, float rate) override;
};

// Adam: history_ holds the first moments m (first half) and the second
// moments v (second half); bias correction uses t = iter + 1.
class AdamSolver : public SGDSolver {
 public:
  explicit AdamSolver(const SolverParameter& param);
  const char* type() const override { return "Adam"; }

 protected:
  void ComputeUpdateValue(int param_id, float rate) override;
};

}  // namespace crema

#endif  // CREMA_SOLVERS_SGD_SOLVERS_HPP_
