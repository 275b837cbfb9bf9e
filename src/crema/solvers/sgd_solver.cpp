// Plain SGD with momentum, and the step every rule shares: learning rate,
// gradient clipping, 1/iter_size normalization and weight decay.
#include <cmath>

#include "crema/math/math_functions.hpp"
#include "crema/solvers/sgd_solvers.hpp"

namespace crema {

SGDSolver::SGDSolver(const SolverParameter& param) : Solver(param) {
  AddHistoryBlobs();
  for (const Blob* param_blob : net_->learnable_params()) {
    update_.push_back(std::make_shared<Blob>(param_blob->shape()));
    temp_.push_back(std::make_shared<Blob>(param_blob->shape()));
  }
}

void SGDSolver::AddHistoryBlobs() {
  for (const Blob* param_blob : net_->learnable_params()) {
    history_.push_back(std::make_shared<Blob>(param_blob->shape()));
    cpu_zero(history_.back()->count(), history_.back()->mutable_cpu_data());
  }
}

void SGDSolver::ApplyUpdate() {
  const float rate = GetLearningRate();
  if (param_.display() && iter_ % param_.display() == 0) {
    LOG(INFO) << "Iteration " << iter_ << ", lr = " << rate;
  }
  ClipGradients();
  for (int param_id = 0; param_id < static_cast<int>(net_->learnable_params().size());
       ++param_id) {
    Normalize(param_id);
    Regularize(param_id);
    ComputeUpdateValue(param_id, rate);
  }
  net_->Update();
  if (param_.debug_info() && param_.display() && iter_ % param_.display() == 0) {
    for (int i = 0; i < static_cast<int>(net_->params().size()); ++i) {
      net_->UpdateDebugInfo(i);
    }
  }
}

// Scales every diff down when their joint L2 norm exceeds clip_gradients.
void SGDSolver::ClipGradients() {
  const float clip_gradients = param_.clip_gradients();
  if (clip_gradients < 0) return;
  const std::vector<Blob*>& params = net_->learnable_params();
  float sumsq_diff = 0;
  for (const Blob* blob : params) sumsq_diff += blob->sumsq_diff();
  const float l2norm_diff = std::sqrt(sumsq_diff);
  if (l2norm_diff > clip_gradients) {
    const float scale_factor = clip_gradients / l2norm_diff;
    LOG(INFO) << "Gradient clipping: scaling down gradients (L2 norm "
              << l2norm_diff << " > " << clip_gradients << ") "
              << "by scale factor " << scale_factor;
    for (Blob* blob : params) blob->scale_diff(scale_factor);
  }
}

// The diff holds the sum over iter_size passes; make it their mean.
void SGDSolver::Normalize(int param_id) {
  if (param_.iter_size() == 1) return;
  net_->learnable_params()[param_id]->scale_diff(1.f / param_.iter_size());
}

void SGDSolver::Regularize(int param_id) {
  Blob* blob = net_->learnable_params()[param_id];
  const float local_decay =
      param_.weight_decay() * net_->learnable_info(param_id).decay_mult;
  if (local_decay == 0.f) return;
  const int count = blob->count();
  if (param_.regularization_type() == "L2") {
    cpu_axpy(count, local_decay, blob->cpu_data(), blob->mutable_cpu_diff());
  } else {  // "L1" (checked when the solver was built)
    float* sign = temp_[param_id]->mutable_cpu_data();
    cpu_sign(count, blob->cpu_data(), sign);
    cpu_axpy(count, local_decay, sign, blob->mutable_cpu_diff());
  }
}

void SGDSolver::ComputeUpdateValue(int param_id, float rate) {
  Blob* blob = net_->learnable_params()[param_id];
  const float local_rate = rate * net_->learnable_info(param_id).lr_mult;
  float* history = history_[param_id]->mutable_cpu_data();
  cpu_axpby(blob->count(), local_rate, blob->cpu_diff(), param_.momentum(), history);
  cpu_copy(blob->count(), history, blob->mutable_cpu_diff());
}

CREMA_REGISTER_SOLVER("SGD", SGDSolver);

}  // namespace crema
