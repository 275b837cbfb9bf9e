// AdaGrad: history += grad^2;  step = local_rate * grad / (sqrt(history) + delta).
#include "crema/math/math_functions.hpp"
#include "crema/solvers/sgd_solvers.hpp"

namespace crema {

AdaGradSolver::AdaGradSolver(const SolverParameter& param) : SGDSolver(param) {
  if (param_.momentum() != 0.f) {
    Throw("The AdaGrad solver does not use momentum; remove momentum (it is ",
          param_.momentum(), ").");
  }
}

void AdaGradSolver::ComputeUpdateValue(int param_id, float rate) {
  Blob* blob = net_->learnable_params()[param_id];
  const int count = blob->count();
  const float local_rate = rate * net_->learnable_info(param_id).lr_mult;
  float* history = history_[param_id]->mutable_cpu_data();
  float* update = update_[param_id]->mutable_cpu_data();
  cpu_powx(count, blob->cpu_diff(), 2.f, update);
  cpu_add(count, update, history, history);
  cpu_powx(count, history, 0.5f, update);
  cpu_add_scalar(count, param_.delta(), update);
  cpu_div(count, blob->cpu_diff(), update, update);
  cpu_axpby(count, local_rate, update, 0.f, blob->mutable_cpu_diff());
}

CREMA_REGISTER_SOLVER("AdaGrad", AdaGradSolver);

}  // namespace crema
