// The training loop: Solve, Step, tests between iterations, the log lines
// Caffe's parsers read, and requests (snapshot, stop) from signals.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <iomanip>
#include <sstream>

#include "crema/net_score.hpp"
#include "crema/solver.hpp"
#include "crema/stateful.hpp"

namespace crema {
namespace {

// "1h 02m 03s", "4m 05s", "12s".
std::string FormatDuration(double seconds) {
  long total = std::lround(std::max(0.0, seconds));
  const long h = total / 3600, m = (total / 60) % 60, s = total % 60;
  std::ostringstream os;
  if (h > 0) os << h << "h " << std::setw(2) << std::setfill('0') << m << "m ";
  else if (m > 0) os << m << "m ";
  if (h > 0 || m > 0) os << std::setw(2) << std::setfill('0');
  os << s << "s";
  return os.str();
}

}  // namespace

void Solver::Solve(const std::string& resume_file) {
  LOG(INFO) << "Solving " << net_->name();
  LOG(INFO) << "Learning Rate Policy: " << param_.lr_policy();
  requested_early_exit_ = false;
  if (!resume_file.empty()) {
    LOG(INFO) << "Restoring previous solver status from " << resume_file;
    Restore(resume_file);
  }
  const int start_iter = iter_;
  Step(param_.max_iter() - iter_);
  // Snapshot at the end unless the periodic one just did; a stop always
  // leaves one behind.
  const bool periodic_done = param_.snapshot() && iter_ % param_.snapshot() == 0;
  if ((param_.snapshot_after_train() && !periodic_done) ||
      (requested_early_exit_ && last_snapshot_iter_ != iter_)) {
    Snapshot();
  }
  if (!requested_early_exit_) FinalPass(start_iter);
  // Under data parallelism the others wait (polling, so a dead leader is
  // still noticed) until the leader's final snapshot and test are done.
  callback_->WaitForLeader();
  LOG(INFO) << (requested_early_exit_ ? "Optimization stopped early." : "Optimization Done.");
}

// A final forward pass to show the loss after the last update, and a final
// test, as the display and test intervals ask.
void Solver::FinalPass(int start_iter) {
  if (param_.display() && iter_ % param_.display() == 0) {
    float loss = 0;
    net_->Forward(&loss);
    net_->ToPlain();
    UpdateSmoothedLoss(loss, start_iter, param_.average_loss());
    std::vector<float> shown{smoothed_loss_};
    callback_->AgreeOnShown(&shown);
    LOG(INFO) << "Iteration " << iter_ << ", loss = " << shown[0];
  }
  if (param_.test_interval() && iter_ % param_.test_interval() == 0 && callback_->leads()) {
    TestAll();
  }
}

void Solver::Step(int iters) {
  const int start_iter = iter_;
  stop_iter_ = iter_ + iters;
  losses_.clear();
  smoothed_loss_ = 0;
  display_timer_ = std::chrono::steady_clock::now();
  display_last_iter_ = iter_;
  double test_seconds = 0;  // kept out of the training speed
  callback_->OnStart(*this);
  while (iter_ < stop_iter_) {
    net_->ClearParamDiffsBeforeBackward();
    TestIfDue(&test_seconds);
    if (requested_early_exit_) break;
    const bool display = param_.display() && iter_ % param_.display() == 0;
    net_->set_debug_info(display && param_.debug_info());
    UpdateSmoothedLoss(ForwardBackward(), start_iter, param_.average_loss());
    if (display) {
      DisplayTrainOutputs();
      DisplaySpeed(&test_seconds);
    }
    ApplyUpdateWatched();
    ++iter_;  // iter_ counts the updates made so far
    if (HandleRequests()) break;
  }
  net_->ToPlain();  // whoever reads the net next sees plain values
}

void Solver::TestIfDue(double* test_seconds) {
  if (!param_.test_interval() || iter_ % param_.test_interval() != 0 ||
      (iter_ == 0 && !param_.test_initialization())) {
    return;
  }
  const auto test_start = std::chrono::steady_clock::now();
  if (callback_->leads()) TestAll();
  // A stop during the leader's test stops everyone.
  requested_early_exit_ =
      callback_->AgreeOnAction(requested_early_exit_ ? SolverAction::STOP
                                                     : SolverAction::NONE) ==
      SolverAction::STOP;
  *test_seconds +=
      std::chrono::duration<double>(std::chrono::steady_clock::now() - test_start).count();
}

// Gradients accumulate over iter_size passes; the last pass's are final.
float Solver::ForwardBackward() {
  float loss = 0;
  for (int i = 0; i < param_.iter_size(); ++i) {
    if (i + 1 == param_.iter_size()) callback_->OnFinalBackward(iter_);
    loss += net_->ForwardBackward();
  }
  callback_->OnGradientsReady();
  return loss / param_.iter_size();
}

void Solver::ApplyUpdatePlain() {
  // Weights an engine adopted (frozen layers) are updated as plain values.
  for (Blob* param : net_->learnable_params()) param->data()->ToPlain();
  ApplyUpdate();
}

bool Solver::HandleRequests() {
  const SolverAction request = callback_->AgreeOnAction(GetRequestedAction());
  if ((param_.snapshot() && iter_ % param_.snapshot() == 0) ||
      request == SolverAction::SNAPSHOT) {
    Snapshot();
  }
  if (request != SolverAction::STOP) return false;
  requested_early_exit_ = true;
  return true;
}

// "Speed: 12.5 iter/s, 800 images/s; about 1m 20s left for 1000 iterations".
void Solver::DisplaySpeed(double* test_seconds) {
  const auto now = std::chrono::steady_clock::now();
  const double elapsed = std::chrono::duration<double>(now - display_timer_).count();
  const int done = iter_ - display_last_iter_;
  if (done > 0 && elapsed > 0) {
    const double iter_per_s = done / std::max(elapsed - *test_seconds, 1e-9);
    std::ostringstream line;
    line << "    Speed: " << iter_per_s << " iter/s";
    const auto& tops = net_->num_layers() ? net_->top_vecs()[0] : std::vector<Blob*>();
    if (!tops.empty() && tops[0]->num_axes() > 0) {
      line << ", " << iter_per_s * tops[0]->shape(0) * param_.iter_size() * callback_->participants()
           << " images/s";
    }
    const int left = stop_iter_ - iter_;
    line << "; about " << FormatDuration(elapsed / done * left) << " left for " << left
         << " iterations";
    LOG(INFO) << line.str();
  }
  display_timer_ = now;
  display_last_iter_ = iter_;
  *test_seconds = 0;
}

void Solver::UpdateSmoothedLoss(float loss, int start_iter, int average_loss) {
  if (static_cast<int>(losses_.size()) < average_loss) {
    losses_.push_back(loss);
    const int size = static_cast<int>(losses_.size());
    smoothed_loss_ = (smoothed_loss_ * (size - 1) + loss) / size;
  } else {
    const int idx = (iter_ - start_iter) % average_loss;
    smoothed_loss_ += (loss - losses_[idx]) / average_loss;
    losses_[idx] = loss;
  }
}

void Solver::TestAll() {
  test_scores_.resize(test_nets_.size());
  test_start_states_ = TestNetStates();
  for (size_t id = 0; id < test_nets_.size() && !requested_early_exit_; ++id) {
    Test(static_cast<int>(id));
  }
  // Weights a test net's engine adopted are the train net's: plain again.
  for (const auto& test_net : test_nets_) test_net->ToPlain();
  if (requested_early_exit_) {
    // A stopped test counts as not run: its readers go back to where it began.
    for (const auto& [label, net] : LabeledNets()) {
      for (int i = 0; i < net->num_layers(); ++i) {
        auto it = test_start_states_.find({label, net->layer_names()[i]});
        if (it == test_start_states_.end()) continue;
        dynamic_cast<StatefulLayer&>(*net->layers()[i]).RestoreState(it->second);
      }
    }
  }
  test_start_states_.clear();
}

void Solver::Test(int test_net_id) {
  LOG(INFO) << "Iteration " << iter_ << ", Testing net (#" << test_net_id << ")";
  Net& test_net = *test_nets_[test_net_id];
  test_net.ShareTrainedLayersWith(*net_);
  ScoreOptions options;
  options.should_stop = [this]() {
    callback_->Poll();
    for (SolverAction request = GetRequestedAction(); request != SolverAction::NONE;
         request = GetRequestedAction()) {
      if (request == SolverAction::SNAPSHOT) Snapshot();
      if (request == SolverAction::STOP) requested_early_exit_ = true;
    }
    return requested_early_exit_;
  };
  const int test_iter = param_.test_iter(test_net_id);
  const NetScores scores = ScoreNet(&test_net, test_iter, options);
  if (requested_early_exit_) {
    LOG(INFO) << "Test interrupted.";
    return;
  }
  if (param_.test_compute_loss()) LOG(INFO) << "Test loss: " << scores.mean_loss;
  for (size_t i = 0; i < scores.means.size(); ++i) {
    LOG(INFO) << "    Test net output #" << i << ": "
              << FormatScore(scores.names[i], scores.means[i], scores.loss_weights[i]);
  }
  test_scores_[test_net_id] = scores.means;
}

void Solver::DisplayTrainOutputs() {
  // The loss and outputs shown are means over ranks.
  const std::vector<Blob*>& result = net_->output_blobs();
  std::vector<float> shown{smoothed_loss_};
  for (const Blob* blob : result) {
    shown.insert(shown.end(), blob->cpu_data(), blob->cpu_data() + blob->count());
  }
  callback_->AgreeOnShown(&shown);
  LOG(INFO) << "Iteration " << iter_ << ", loss = " << shown[0];
  int score_index = 0;
  for (size_t j = 0; j < result.size(); ++j) {
    const int blob_index = net_->output_blob_indices()[j];
    const std::string& name = net_->blob_names()[blob_index];
    const float loss_weight = net_->blob_loss_weights()[blob_index];
    for (int k = 0; k < result[j]->count(); ++k) {
      LOG(INFO) << "    Train net output #" << score_index << ": "
                << FormatScore(name, shown[1 + score_index], loss_weight);
      ++score_index;
    }
  }
}

}  // namespace crema
