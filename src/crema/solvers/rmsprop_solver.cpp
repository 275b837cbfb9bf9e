// RMSProp: history = rms_decay * history + (1 - rms_decay) * grad^2;
//          step = local_rate * grad / (sqrt(history) + delta).
#include "crema/math/math_functions.hpp"
#include "crema/solvers/sgd_solvers.hpp"

namespace crema {

RMSPropSolver::RMSPropSolver(const SolverParameter& param) : SGDSolver(param) {
  if (param_.momentum() != 0.f) {
    Throw("The RMSProp solver does not use momentum; remove momentum (it is ",
          param_.momentum(), ") and set rms_decay instead.");
  }
  if (param_.rms_decay() < 0.f || param_.rms_decay() >= 1.f) {
    Throw("The RMSProp solver's rms_decay is ", param_.rms_decay(),
          "; it must lie in [0, 1).");
  }
}

void RMSPropSolver::ComputeUpdateValue(int param_id, float rate) {
  Blob* blob = net_->learnable_params()[param_id];
  const int count = blob->count();
  const float rms_decay = param_.rms_decay();
  const float local_rate = rate * net_->learnable_info(param_id).lr_mult;
  float* history = history_[param_id]->mutable_cpu_data();
  float* update = update_[param_id]->mutable_cpu_data();
  cpu_powx(count, blob->cpu_diff(), 2.f, update);
  cpu_axpby(count, 1.f - rms_decay, update, rms_decay, history);
  cpu_powx(count, history, 0.5f, update);
  cpu_add_scalar(count, param_.delta(), update);
  cpu_div(count, blob->cpu_diff(), update, update);
  cpu_axpby(count, local_rate, update, 0.f, blob->mutable_cpu_diff());
}

CREMA_REGISTER_SOLVER("RMSProp", RMSPropSolver);

}  // namespace crema
