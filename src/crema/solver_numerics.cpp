// The numerics watch: a NaN or an infinity is found where it first appears
// (the net checks each layer's forward and backward), in the gradients before
// the update, or in the weights after it. On STOP, a bad update is undone and
// the weights from before it are snapshotted.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "crema/solver.hpp"

namespace crema {
namespace {

// Warnings after this many are not logged: once the weights are NaN, every
// iteration would repeat the first one.
constexpr int kMaxWarnings = 10;

// What one update changes: the weights, the optimizer's history, the step.
struct UpdateBackup {
  std::vector<std::vector<float>> params, history;
  int current_step = 0;
};

std::vector<float> CopyData(const Blob& blob) {
  return std::vector<float>(blob.cpu_data(), blob.cpu_data() + blob.count());
}

void RestoreData(const std::vector<float>& values, Blob* blob) {
  std::copy(values.begin(), values.end(), blob->mutable_cpu_data());
}

const char* NonFiniteName(float value) {
  if (std::isnan(value)) return "NaN";
  return value > 0 ? "+inf" : "-inf";
}

}  // namespace

NonFiniteAction ParseNonFiniteAction(const std::string& name) {
  if (name == "warn") return NonFiniteAction::WARN;
  if (name == "stop") return NonFiniteAction::STOP;
  Throw("Unknown action on NaN '", name, "'; use warn or stop.");
}

void Solver::set_numerics_watch(NonFiniteAction action) {
  numerics_watch_ = action;
  non_finite_warnings_ = 0;
  net_->set_check_numerics(action != NonFiniteAction::OFF);
  net_->ClearNonFinite();
}

// "the gradient of parameter 'ip' blob 0 holds NaN at element 3 of 1 x 3",
// for the first non-finite diff (or data, after an update); "" if none.
std::string Solver::NonFiniteParam(bool diff) const {
  const std::vector<Blob*>& params = net_->learnable_params();
  for (size_t i = 0; i < params.size(); ++i) {
    const Blob& blob = *params[i];
    const float* values = diff ? blob.cpu_diff() : blob.cpu_data();
    for (int k = 0; k < blob.count(); ++k) {
      if (std::isfinite(values[k])) continue;
      return StrCat(diff ? "the gradient of parameter " : "the update put ",
                    diff ? net_->DescribeLearnableParam(static_cast<int>(i)) + " holds "
                         : std::string(),
                    NonFiniteName(values[k]), " at element ", k, " of ", blob.shape_string(),
                    diff ? std::string()
                         : " into parameter " + net_->DescribeLearnableParam(static_cast<int>(i)));
    }
  }
  return "";
}

void Solver::ApplyUpdateWatched() {
  if (numerics_watch_ == NonFiniteAction::OFF) {
    ApplyUpdatePlain();
    return;
  }
  std::string problem = net_->non_finite();
  net_->ClearNonFinite();
  if (problem.empty()) problem = NonFiniteParam(true);
  if (!problem.empty()) ReportNonFinite(problem, true);  // throws on STOP

  const std::vector<Blob*>& params = net_->learnable_params();
  UpdateBackup backup;
  if (numerics_watch_ == NonFiniteAction::STOP) {
    for (Blob* param : params) {
      param->data()->ToPlain();
      backup.params.push_back(CopyData(*param));
    }
    for (const auto& blob : history_) backup.history.push_back(CopyData(*blob));
    backup.current_step = current_step_;
  }
  ApplyUpdatePlain();
  problem = NonFiniteParam(false);
  if (problem.empty()) return;
  if (numerics_watch_ == NonFiniteAction::STOP) {
    for (size_t i = 0; i < params.size(); ++i) RestoreData(backup.params[i], params[i]);
    for (size_t i = 0; i < history_.size(); ++i) RestoreData(backup.history[i], history_[i].get());
    current_step_ = backup.current_step;
  }
  ReportNonFinite(problem, false);
}

void Solver::ReportNonFinite(const std::string& problem, bool before_update) {
  if (numerics_watch_ == NonFiniteAction::WARN) {
    if (non_finite_warnings_ >= kMaxWarnings) return;
    LOG(WARNING) << "Iteration " << iter_ << ": " << problem << "."
                 << (++non_finite_warnings_ == kMaxWarnings
                         ? " Further non-finite values are not reported."
                         : "");
    return;
  }
  requested_early_exit_ = true;
  if (last_snapshot_iter_ != iter_) Snapshot();
  Throw("Iteration ", iter_, ": ", problem, ". Training stopped (on NaN: stop) ",
        before_update ? "before this iteration's update" : "and this iteration's update was undone",
        "; the last good weights are in '", SnapshotFilename(".caffemodel"),
        "' and the state to resume from in '", SnapshotFilename(".solverstate"), "'.");
}

}  // namespace crema
