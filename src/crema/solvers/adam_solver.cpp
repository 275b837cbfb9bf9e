// Adam (Kingma & Ba) as Caffe computes it, with t = iter + 1:
//   m = beta1 * m + (1 - beta1) * grad
//   v = beta2 * v + (1 - beta2) * grad^2
//   step = local_rate * sqrt(1 - beta2^t) / (1 - beta1^t) * m / (sqrt(v) + delta)
// beta1 is `momentum`, beta2 `momentum2`. history_ holds m for every
// parameter, then v for every parameter.
#include <cmath>

#include "crema/math/math_functions.hpp"
#include "crema/solvers/sgd_solvers.hpp"

namespace crema {

AdamSolver::AdamSolver(const SolverParameter& param) : SGDSolver(param) {
  AddHistoryBlobs();
}

void AdamSolver::ComputeUpdateValue(int param_id, float rate) {
  Blob* blob = net_->learnable_params()[param_id];
  const int count = blob->count();
  const float local_rate = rate * net_->learnable_info(param_id).lr_mult;
  const float beta1 = param_.momentum();
  const float beta2 = param_.momentum2();
  const size_t offset = net_->learnable_params().size();
  float* m = history_[param_id]->mutable_cpu_data();
  float* v = history_[offset + param_id]->mutable_cpu_data();
  float* t_buf = temp_[param_id]->mutable_cpu_data();
  const int t = iter_ + 1;
  // pow(float, int) is evaluated in double, as in Caffe.
  const float correction = std::sqrt(1.f - std::pow(static_cast<double>(beta2), t)) /
                           (1.f - std::pow(static_cast<double>(beta1), t));

  cpu_axpby(count, 1.f - beta1, blob->cpu_diff(), beta1, m);
  cpu_mul(count, blob->cpu_diff(), blob->cpu_diff(), t_buf);
  cpu_axpby(count, 1.f - beta2, t_buf, beta2, v);
  cpu_powx(count, v, 0.5f, t_buf);
  cpu_add_scalar(count, param_.delta(), t_buf);
  cpu_div(count, m, t_buf, t_buf);
  cpu_scale(count, local_rate * correction, t_buf, blob->mutable_cpu_diff());
}

CREMA_REGISTER_SOLVER("Adam", AdamSolver);

}  // namespace crema
