// AdaDelta (Zeiler 2012) as Caffe computes it, with momentum as the decay:
//   g2   = momentum * g2 + (1 - momentum) * grad^2
//   step = grad * sqrt((u2 + delta) / (g2 + delta))
//   u2   = momentum * u2 + (1 - momentum) * step^2
//   step *= local_rate
// history_ holds g2 for every parameter, then u2 for every parameter.
#include "crema/math/math_functions.hpp"
#include "crema/solvers/sgd_solvers.hpp"

namespace crema {

AdaDeltaSolver::AdaDeltaSolver(const SolverParameter& param) : SGDSolver(param) {
  AddHistoryBlobs();
}

void AdaDeltaSolver::ComputeUpdateValue(int param_id, float rate) {
  Blob* blob = net_->learnable_params()[param_id];
  const int count = blob->count();
  const float delta = param_.delta();
  const float momentum = param_.momentum();
  const float local_rate = rate * net_->learnable_info(param_id).lr_mult;
  const size_t offset = net_->learnable_params().size();
  float* grad_history = history_[param_id]->mutable_cpu_data();
  float* update_history = history_[offset + param_id]->mutable_cpu_data();
  float* update = update_[param_id]->mutable_cpu_data();
  float* temp = temp_[param_id]->mutable_cpu_data();
  float* diff = blob->mutable_cpu_diff();

  cpu_powx(count, diff, 2.f, update);
  cpu_axpby(count, 1.f - momentum, update, momentum, grad_history);
  cpu_set(count, delta, temp);
  cpu_add(count, temp, update_history, update);
  cpu_add(count, temp, grad_history, temp);
  cpu_div(count, update, temp, update);
  cpu_powx(count, update, 0.5f, update);
  cpu_mul(count, diff, update, diff);
  cpu_powx(count, diff, 2.f, update);
  cpu_axpby(count, 1.f - momentum, update, momentum, update_history);
  cpu_scale(count, local_rate, diff, diff);
}

CREMA_REGISTER_SOLVER("AdaDelta", AdaDeltaSolver);

}  // namespace crema
