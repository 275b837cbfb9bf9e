// Nesterov's accelerated gradient, in Caffe's form:
//   history' = momentum * history + local_rate * grad
//   step     = (1 + momentum) * history' - momentum * history
#include "crema/math/math_functions.hpp"
#include "crema/solvers/sgd_solvers.hpp"

namespace crema {

void NesterovSolver::ComputeUpdateValue(int param_id, float rate) {
  Blob* blob = net_->learnable_params()[param_id];
  const int count = blob->count();
  const float momentum = param_.momentum();
  const float local_rate = rate * net_->learnable_info(param_id).lr_mult;
  float* history = history_[param_id]->mutable_cpu_data();
  float* update = update_[param_id]->mutable_cpu_data();
  cpu_copy(count, history, update);  // the previous history, to step back
  cpu_axpby(count, local_rate, blob->cpu_diff(), momentum, history);
  cpu_axpby(count, 1.f + momentum, history, -momentum, update);
  cpu_copy(count, update, blob->mutable_cpu_diff());
}

CREMA_REGISTER_SOLVER("Nesterov", NesterovSolver);

}  // namespace crema
