#include "crema/solver.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iomanip>
#include <set>
#include <sstream>

#include "crema/io/proto_io.hpp"
#include "crema/io/upgrade_proto.hpp"
#include "crema/layers/data_layer.hpp"
#include "crema/net_score.hpp"
#include "crema/stateful.hpp"

namespace crema {
namespace {

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string DirName(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string BaseName(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

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

// "'ip1' blob 0": the layer owning learnable parameter `learnable_id`.
std::string DescribeLearnableParam(const Net& net, int learnable_id) {
  for (int layer_id = 0; layer_id < net.num_layers(); ++layer_id) {
    const std::vector<int>& ids = net.param_ids(layer_id);
    for (size_t k = 0; k < ids.size(); ++k) {
      if (net.param_owners()[ids[k]] < 0 &&
          net.learnable_param_ids()[ids[k]] == learnable_id) {
        return StrCat("'", net.layer_names()[layer_id], "' blob ", k);
      }
    }
  }
  return StrCat("#", learnable_id);
}

// A relative net path as Caffe users expect: the working directory first,
// then the folder of the solver file that names it.
void ResolveNetPath(const std::string& solver_file, const std::string& field,
                    std::string* path) {
  if (path->empty() || (*path)[0] == '/' || FileExists(*path)) return;
  const std::string dir = DirName(solver_file);
  const std::string candidate = dir + "/" + *path;
  if (FileExists(candidate)) {
    *path = candidate;
    return;
  }
  Throw("The solver file '", solver_file, "' names ", field, " '", *path,
        "', which exists neither in the working directory nor in the solver "
        "file's folder '", dir, "'.");
}

bool IsDirectory(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace

SolverAction ParseSolverAction(const std::string& name) {
  if (name == "stop") return SolverAction::STOP;
  if (name == "snapshot") return SolverAction::SNAPSHOT;
  if (name == "none") return SolverAction::NONE;
  Throw("Unknown signal effect '", name, "'; use stop, snapshot or none.");
}

SolverParameter LoadSolverParameter(const std::string& solver_file) {
  if (IsDirectory(solver_file) || !FileExists(solver_file)) {
    Throw("The solver file '", solver_file, "' does not exist.");
  }
  SolverParameter param;
  ReadSolverParamsFromTextFile(solver_file, &param);
  if (param.has_net()) ResolveNetPath(solver_file, "net", param.mutable_net());
  if (param.has_train_net()) {
    ResolveNetPath(solver_file, "train_net", param.mutable_train_net());
  }
  for (int i = 0; i < param.test_net_size(); ++i) {
    ResolveNetPath(solver_file, "test_net", param.mutable_test_net(i));
  }
  // Caffe's default prefix: the solver file's path without its extension;
  // a prefix that is a folder gets the solver file's stem inside it.
  std::string stem = BaseName(solver_file);
  const size_t dot = stem.find_last_of('.');
  if (dot != std::string::npos && dot > 0) stem = stem.substr(0, dot);
  if (!param.has_snapshot_prefix()) {
    const std::string dir = DirName(solver_file);
    param.set_snapshot_prefix(solver_file.find('/') == std::string::npos
                                  ? stem
                                  : dir + "/" + stem);
    LOG(INFO) << "snapshot_prefix was not specified and is set to "
              << param.snapshot_prefix();
  } else if (IsDirectory(param.snapshot_prefix())) {
    std::string dir = param.snapshot_prefix();
    if (!EndsWith(dir, "/")) dir += "/";
    param.set_snapshot_prefix(dir + stem);
    LOG(INFO) << "snapshot_prefix is a directory and is set to "
              << param.snapshot_prefix();
  }
  return param;
}

// ---- construction ----

Solver::Solver(const SolverParameter& param) : param_(param) {
  CheckParameters();
  LOG(INFO) << "Initializing solver from parameters: " << std::endl
            << param_.DebugString();
  CheckSnapshotWritePermissions();
  if (param_.random_seed() >= 0) Crema::set_random_seed(param_.random_seed());
  InitTrainNet();
  InitTestNets();
  for (int i = 0; i < param_.weights_size(); ++i) LoadWeights(param_.weights(i));
  LOG(INFO) << "Solver scaffolding done.";
}

void Solver::CheckParameters() const {
  if (param_.base_lr() < 0) {
    Throw("The solver's base_lr is ", param_.base_lr(),
          "; a learning rate must be zero or positive.");
  }
  if (param_.average_loss() < 1) {
    Throw("The solver's average_loss is ", param_.average_loss(),
          "; it must be at least 1.");
  }
  if (param_.iter_size() < 1) {
    Throw("The solver's iter_size is ", param_.iter_size(), "; it must be at least 1.");
  }
  if (param_.display() < 0 || param_.snapshot() < 0 || param_.test_interval() < 0) {
    Throw("The solver's display, snapshot and test_interval must not be negative.");
  }
  if (param_.regularization_type() != "L2" && param_.regularization_type() != "L1") {
    Throw("Unknown regularization_type '", param_.regularization_type(),
          "'; use L2 or L1.");
  }
  if (param_.snapshot_format() != SolverParameter::BINARYPROTO) {
    Throw("snapshot_format HDF5 is not supported by crema; use BINARYPROTO "
          "(the default).");
  }
  int step = 0;
  LearningRate(param_, 0, &step);  // throws on an unknown or ill-set policy
}

void Solver::InitTrainNet() {
  const int num_train_nets = param_.has_net() + param_.has_net_param() +
                             param_.has_train_net() + param_.has_train_net_param();
  if (num_train_nets == 0) {
    Throw("The solver names no net to train; set one of net, net_param, "
          "train_net or train_net_param.");
  }
  if (num_train_nets > 1) {
    Throw("The solver names more than one train net; keep only one of net, "
          "net_param, train_net and train_net_param.");
  }
  NetParameter net_param;
  auto read_net_file = [&net_param](const std::string& path) {
    if (!FileExists(path)) Throw("The solver's net file '", path, "' does not exist.");
    ReadNetParamsFromTextFile(path, &net_param);
  };
  if (param_.has_train_net_param()) {
    LOG(INFO) << "Creating training net specified in train_net_param.";
    net_param = param_.train_net_param();
  } else if (param_.has_train_net()) {
    LOG(INFO) << "Creating training net from train_net file: " << param_.train_net();
    read_net_file(param_.train_net());
  } else if (param_.has_net_param()) {
    LOG(INFO) << "Creating training net specified in net_param.";
    net_param = param_.net_param();
  } else {
    LOG(INFO) << "Creating training net from net file: " << param_.net();
    read_net_file(param_.net());
  }
  // Lowest precedence: the solver's default phase; then the net's own state;
  // then train_state.
  NetState state;
  state.set_phase(TRAIN);
  state.MergeFrom(net_param.state());
  state.MergeFrom(param_.train_state());
  *net_param.mutable_state() = state;
  net_ = std::make_shared<Net>(net_param);
  // The loop reads only the outputs; Step converts the rest when it ends.
  net_->set_plain_after_pass(false);
}

void Solver::InitTestNets() {
  const bool has_net_param = param_.has_net_param();
  const bool has_net_file = param_.has_net();
  const int num_generic_nets = has_net_param + has_net_file;
  const int num_test_net_params = param_.test_net_param_size();
  const int num_test_net_files = param_.test_net_size();
  const int num_test_nets = num_test_net_params + num_test_net_files;
  if (num_generic_nets > 0 ? param_.test_iter_size() < num_test_nets
                           : param_.test_iter_size() != num_test_nets) {
    Throw("The solver gives ", param_.test_iter_size(), " test_iter value(s) for ",
          num_test_nets, " test net(s); give one test_iter per test net.");
  }
  const int num_instances = param_.test_iter_size();
  if (param_.test_state_size() > 0 && param_.test_state_size() != num_instances) {
    Throw("The solver gives ", param_.test_state_size(), " test_state(s) for ",
          num_instances, " test net(s); give one per test net or none.");
  }
  if (num_instances > 0 && param_.test_interval() <= 0) {
    Throw("The solver has test nets (test_iter) but no test_interval; set "
          "test_interval to how often (in iterations) to test.");
  }
  std::vector<std::string> sources;
  std::vector<NetParameter> net_params;
  auto read_net_file = [](const std::string& path, NetParameter* param) {
    if (!FileExists(path)) Throw("The solver's net file '", path, "' does not exist.");
    ReadNetParamsFromTextFile(path, param);
  };
  for (int i = 0; i < num_test_net_params; ++i) {
    sources.push_back("test_net_param");
    net_params.push_back(param_.test_net_param(i));
  }
  for (int i = 0; i < num_test_net_files; ++i) {
    sources.push_back("test_net file: " + param_.test_net(i));
    net_params.emplace_back();
    read_net_file(param_.test_net(i), &net_params.back());
  }
  const int remaining = num_instances - num_test_nets;
  for (int i = 0; i < remaining; ++i) {
    if (has_net_param) {
      sources.push_back("net_param");
      net_params.push_back(param_.net_param());
    } else {
      sources.push_back("net file: " + param_.net());
      net_params.emplace_back();
      read_net_file(param_.net(), &net_params.back());
    }
  }
  for (int i = 0; i < num_instances; ++i) {
    NetState state;
    state.set_phase(TEST);
    state.MergeFrom(net_params[i].state());
    if (param_.test_state_size() > 0) state.MergeFrom(param_.test_state(i));
    *net_params[i].mutable_state() = state;
    LOG(INFO) << "Creating test net (#" << i << ") specified by " << sources[i];
    test_nets_.push_back(std::make_shared<Net>(net_params[i]));
    test_nets_.back()->set_plain_after_pass(false);  // Test reads the outputs only
    test_nets_.back()->set_debug_info(param_.debug_info());
  }
}

void Solver::LoadWeights(const std::string& files) {
  std::stringstream list(files);
  std::string file;
  while (std::getline(list, file, ',')) {
    const size_t first = file.find_first_not_of(" \t\n");
    const size_t last = file.find_last_not_of(" \t\n");
    file = first == std::string::npos ? "" : file.substr(first, last - first + 1);
    if (file.empty()) continue;
    if (!FileExists(file)) Throw("The weights file '", file, "' does not exist.");
    NetParameter weights;
    ReadNetParamsFromFile(file, &weights);
    LOG(INFO) << "Copying weights from " << file;
    net_->CopyTrainedLayersFrom(weights, file);
    for (auto& test_net : test_nets_) {
      try {
        test_net->CopyTrainedLayersFrom(weights);
      } catch (const Error& e) {
        Throw("While loading the weights file '", file, "' into test net '",
              test_net->name(), "': ", e.what());
      }
    }
  }
}

void Solver::CheckSnapshotWritePermissions() const {
  if (param_.snapshot() == 0) return;
  if (param_.snapshot_prefix().empty()) {
    Throw("The solver snapshots every ", param_.snapshot(),
          " iterations but sets no snapshot_prefix; set one.");
  }
  const std::string probe = SnapshotFilename(".tempfile");
  std::ofstream out(probe);
  if (!out.good()) {
    Throw("Cannot write snapshots with prefix '", param_.snapshot_prefix(),
          "'; make sure its folder exists and is writable.");
  }
  out.close();
  std::remove(probe.c_str());
}

// ---- the loop ----

void Solver::Solve(const std::string& resume_file) {
  LOG(INFO) << "Solving " << net_->name();
  LOG(INFO) << "Learning Rate Policy: " << param_.lr_policy();
  requested_early_exit_ = false;
  if (!resume_file.empty()) {
    LOG(INFO) << "Restoring previous solver status from " << resume_file;
    Restore(resume_file);
  }
  PrepareSync();
  const int start_iter = iter_;
  Step(param_.max_iter() - iter_);
  // Snapshot at the end unless the periodic one just did; a stop always
  // leaves one behind.
  const bool periodic_done = param_.snapshot() && iter_ % param_.snapshot() == 0;
  if ((param_.snapshot_after_train() && !periodic_done) ||
      (requested_early_exit_ && last_snapshot_iter_ != iter_)) {
    Snapshot();
  }
  if (requested_early_exit_) {
    WaitForRoot();
    LOG(INFO) << "Optimization stopped early.";
    return;
  }
  // A final forward pass to show the loss after the last update, and a final
  // test, as the display and test intervals ask.
  if (param_.display() && iter_ % param_.display() == 0) {
    float loss = 0;
    net_->Forward(&loss);
    net_->ToPlain();
    UpdateSmoothedLoss(loss, start_iter, param_.average_loss());
    std::vector<float> shown{smoothed_loss_};
    if (sync_) sync_->Average(&shown);
    LOG(INFO) << "Iteration " << iter_ << ", loss = " << shown[0];
  }
  if (param_.test_interval() && iter_ % param_.test_interval() == 0 && is_root()) {
    TestAll();
  }
  WaitForRoot();
  LOG(INFO) << "Optimization Done.";
}

void Solver::WaitForRoot() {
  // The other ranks wait (polling, so a dead root is still noticed) until the
  // root's final snapshot and test are done: leaving earlier would start
  // MPI_Finalize, which cannot be polled and is bounded by the timeout.
  if (sync_) sync_->OrOverRanks(0);
}

void Solver::Step(int iters) {
  const int start_iter = iter_;
  stop_iter_ = iter_ + iters;
  losses_.clear();
  smoothed_loss_ = 0;
  display_timer_ = std::chrono::steady_clock::now();
  display_last_iter_ = iter_;
  double test_seconds = 0;  // kept out of the training speed
  PrepareSync();

  while (iter_ < stop_iter_) {
    net_->ClearParamDiffs();
    if (param_.test_interval() && iter_ % param_.test_interval() == 0 &&
        (iter_ > 0 || param_.test_initialization())) {
      const auto test_start = std::chrono::steady_clock::now();
      if (is_root()) TestAll();
      // A stop during the root's test stops every rank.
      if (sync_) requested_early_exit_ = sync_->OrOverRanks(requested_early_exit_) != 0;
      test_seconds += std::chrono::duration<double>(
                          std::chrono::steady_clock::now() - test_start).count();
      if (requested_early_exit_) break;
    }
    const bool display = param_.display() && iter_ % param_.display() == 0;
    net_->set_debug_info(display && param_.debug_info());
    float loss = 0;
    for (int i = 0; i < param_.iter_size(); ++i) {
      // Gradients accumulate over iter_size passes; ranks reduce the last.
      syncing_backward_ = sync_ && i + 1 == param_.iter_size();
      if (syncing_backward_) sync_->BeginIteration(iter_);
      loss += net_->ForwardBackward();
    }
    syncing_backward_ = false;
    if (sync_) sync_->Finish();
    loss /= param_.iter_size();
    UpdateSmoothedLoss(loss, start_iter, param_.average_loss());
    if (display) {
      DisplayTrainOutputs();
      const double elapsed = std::chrono::duration<double>(
                                 std::chrono::steady_clock::now() - display_timer_).count();
      const int done = iter_ - display_last_iter_;
      if (done > 0 && elapsed > 0) {
        const double train_seconds = std::max(elapsed - test_seconds, 1e-9);
        const double iter_per_s = done / train_seconds;
        std::ostringstream line;
        line << "    Speed: " << iter_per_s << " iter/s";
        const auto& tops = net_->num_layers() ? net_->top_vecs()[0] : std::vector<Blob*>();
        if (!tops.empty() && tops[0]->num_axes() > 0) {
          const int ranks = sync_ ? sync_->num_ranks() : 1;
          line << ", " << iter_per_s * tops[0]->shape(0) * param_.iter_size() * ranks
               << " images/s";
        }
        const int left = stop_iter_ - iter_;
        line << "; about " << FormatDuration(elapsed / done * left) << " left for "
             << left << " iterations";
        LOG(INFO) << line.str();
      }
      display_timer_ = std::chrono::steady_clock::now();
      display_last_iter_ = iter_;
      test_seconds = 0;
    }
    // Weights an engine adopted (frozen layers) are updated as plain values.
    for (Blob* param : net_->learnable_params()) param->data()->ToPlain();
    ApplyUpdate();
    // iter_ counts the updates made so far.
    ++iter_;

    SolverAction request = GetRequestedAction();
    if (sync_) request = AgreeOnAction(request);
    if ((param_.snapshot() && iter_ % param_.snapshot() == 0) ||
        request == SolverAction::SNAPSHOT) {
      Snapshot();
    }
    if (request == SolverAction::STOP) {
      requested_early_exit_ = true;
      break;
    }
  }
  net_->ToPlain();  // whoever reads the net next sees plain values
}

void Solver::DisplayTrainOutputs() {
  // The loss and outputs shown are means over ranks.
  const std::vector<Blob*>& result = net_->output_blobs();
  std::vector<float> shown{smoothed_loss_};
  for (const Blob* blob : result) {
    shown.insert(shown.end(), blob->cpu_data(), blob->cpu_data() + blob->count());
  }
  if (sync_) sync_->Average(&shown);
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

// ---- data parallelism ----

void Solver::set_gradient_sync(std::shared_ptr<GradientSync> sync) {
  sync_ = std::move(sync);
  sync_prepared_ = false;
  if (!sync_) {
    net_->set_after_backward(nullptr);
    return;
  }
  net_->set_after_backward([this](int layer_id) {
    if (syncing_backward_) sync_->OnLayerBackward(layer_id);
  });
}

void Solver::PrepareSync() {
  if (!sync_ || sync_prepared_) return;
  sync_prepared_ = true;
  const int rank = sync_->rank();
  const int ranks = sync_->num_ranks();
  LOG(INFO) << "Data-parallel training on " << ranks << " ranks; gradients are "
            << "averaged before each update, so the effective batch is " << ranks
            << " times the train net's.";
  // Ranks share a seed (or a restored engine): give each its own stream for
  // augmentation and dropout. Weights come from the root below.
  if (rank > 0) Crema::set_random_seed(Crema::rng()() + static_cast<uint32_t>(rank));
  sync_->Prepare(net_.get());
  for (int i = 0; i < net_->num_layers(); ++i) {
    Layer* layer = net_->layers()[i].get();
    if (auto* data = dynamic_cast<DataLayer*>(layer)) {
      std::string state = sync_->is_root() ? data->SaveState() : std::string();
      sync_->Broadcast(&state);
      if (!sync_->is_root()) data->RestoreState(state);
      data->SetShard(rank, ranks);
    } else if (dynamic_cast<BaseDataLayer*>(layer)) {
      LOG(WARNING) << "Layer '" << net_->layer_names()[i] << "' (" << layer->type()
                   << ") cannot split its data between ranks: every rank reads "
                   << "the same examples. Use a Data layer (LMDB) to train on "
                   << "distinct examples per rank.";
    }
  }
}

SolverAction Solver::AgreeOnAction(SolverAction local) {
  constexpr int kSnapshot = 1, kStop = 2;
  int flags = local == SolverAction::SNAPSHOT ? kSnapshot
              : local == SolverAction::STOP   ? kStop
                                              : 0;
  flags = sync_->OrOverRanks(flags);
  if (flags & kStop) return SolverAction::STOP;
  if (flags & kSnapshot) return SolverAction::SNAPSHOT;
  return SolverAction::NONE;
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
    if (sync_) sync_->Poll();
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

// ---- snapshots ----

std::string Solver::SnapshotFilename(const std::string& extension) const {
  return param_.snapshot_prefix() + "_iter_" + std::to_string(iter_) + extension;
}

void Solver::Snapshot() {
  if (!is_root()) {
    last_snapshot_iter_ = iter_;
    return;
  }
  const std::string model_filename = SnapshotFilename(".caffemodel");
  LOG(INFO) << "Snapshotting to binary proto file " << model_filename;
  NetParameter net_param;
  net_->ToProto(&net_param, param_.snapshot_diff());
  WriteProtoToBinaryFile(net_param, model_filename);

  SolverState state;
  state.set_iter(iter_);
  state.set_learned_net(model_filename);
  state.set_current_step(current_step_);
  for (const auto& blob : history_) blob->ToProto(state.add_history());
  SaveRunState(&state);
  const std::string state_filename = SnapshotFilename(".solverstate");
  LOG(INFO) << "Snapshotting solver state to binary proto file " << state_filename;
  WriteProtoToBinaryFile(state, state_filename);
  last_snapshot_iter_ = iter_;
}

std::vector<std::pair<std::string, Net*>> Solver::LabeledNets() const {
  std::vector<std::pair<std::string, Net*>> nets{{"train", net_.get()}};
  for (size_t i = 0; i < test_nets_.size(); ++i) {
    nets.emplace_back("test" + std::to_string(i), test_nets_[i].get());
  }
  return nets;
}

std::map<std::pair<std::string, std::string>, std::string> Solver::TestNetStates() const {
  std::map<std::pair<std::string, std::string>, std::string> states;
  for (const auto& [label, net] : LabeledNets()) {
    if (net == net_.get()) continue;
    for (int i = 0; i < net->num_layers(); ++i) {
      const auto* stateful = dynamic_cast<const StatefulLayer*>(net->layers()[i].get());
      if (stateful) states[{label, net->layer_names()[i]}] = stateful->SaveState();
    }
  }
  return states;
}

void Solver::SaveRunState(SolverState* state) const {
  for (const auto& [label, net] : LabeledNets()) {
    for (int i = 0; i < net->num_layers(); ++i) {
      const auto* stateful = dynamic_cast<const StatefulLayer*>(net->layers()[i].get());
      if (!stateful) continue;
      LayerRunState* saved = state->add_layer_state();
      saved->set_net(label);
      saved->set_layer(net->layer_names()[i]);
      // During a test, the state from before it: the resumed run repeats it.
      auto it = test_start_states_.find({label, net->layer_names()[i]});
      saved->set_state(it != test_start_states_.end() ? it->second : stateful->SaveState());
    }
  }
  state->set_rng_state(Crema::rng_state());
}

void Solver::CheckHistoryFits(const SolverState& state,
                              const std::string& state_file) const {
  if (state.history_size() != static_cast<int>(history_.size())) {
    Throw("The solver state '", state_file, "' was saved for another net or "
          "solver: it holds ", state.history_size(), " history blobs, but the ",
          type(), " solver of net '", net_->name(), "' keeps ", history_.size(), ".");
  }
  const int num_params = static_cast<int>(net_->learnable_params().size());
  for (int i = 0; i < state.history_size(); ++i) {
    const std::vector<int> saved = BlobProtoShape(state.history(i));
    if (saved != history_[i]->shape()) {
      Throw("The solver state '", state_file, "' was saved for another net: its "
            "history blob ", i, " has shape ", ShapeString(saved), ", but parameter ",
            DescribeLearnableParam(*net_, num_params ? i % num_params : 0),
            " of net '", net_->name(), "' has shape ", history_[i]->shape_string(), ".");
    }
  }
}

// History shapes can match by chance; the weights a state refers to must
// also cover every layer of the train net that has parameters.
void Solver::CheckLearnedNetFits(const NetParameter& learned, const std::string& state_file,
                                 const std::string& weights_file) const {
  std::set<std::string> in_file;
  for (const LayerParameter& layer : learned.layer()) {
    if (layer.blobs_size() > 0) in_file.insert(layer.name());
  }
  std::string missing;
  int num_missing = 0;
  for (int i = 0; i < net_->num_layers(); ++i) {
    if (net_->layers()[i]->blobs().empty() || in_file.count(net_->layer_names()[i])) continue;
    missing += StrCat(num_missing++ ? ", " : "", "'", net_->layer_names()[i], "'");
  }
  if (num_missing == 0) return;
  Throw("The solver state '", state_file, "' was saved for another net: its weights file '",
        weights_file, "' has no weights for ", num_missing == 1 ? "layer " : "layers ",
        missing, " of net '", net_->name(), "'.");
}

void Solver::Restore(const std::string& state_file) {
  if (EndsWith(state_file, ".h5")) {
    Throw("'", state_file, "' is an HDF5 solver state; crema reads binary "
          ".solverstate files only.");
  }
  if (!FileExists(state_file)) {
    Throw("Cannot resume: the solver state '", state_file, "' does not exist.");
  }
  SolverState state;
  ReadProtoFromBinaryFile(state_file, &state);
  CheckHistoryFits(state, state_file);
  if (state.has_learned_net()) {
    std::string weights = state.learned_net();
    // Snapshot folders get moved: look next to the solverstate too.
    if (!FileExists(weights)) {
      const std::string beside = DirName(state_file) + "/" + BaseName(weights);
      if (!FileExists(beside)) {
        Throw("The solver state '", state_file, "' refers to the weights file '",
              weights, "', which does not exist (nor next to the solver state).");
      }
      weights = beside;
    }
    NetParameter net_param;
    ReadNetParamsFromBinaryFile(weights, &net_param);
    CheckLearnedNetFits(net_param, state_file, weights);
    net_->CopyTrainedLayersFrom(net_param, weights);
  }
  iter_ = state.iter();
  current_step_ = state.current_step();
  for (size_t i = 0; i < history_.size(); ++i) {
    history_[i]->FromProto(state.history(static_cast<int>(i)), false);
  }
  RestoreRunState(state, state_file);
  sync_prepared_ = false;  // the next run starts from the root's state again
  LOG(INFO) << type() << " solver restored at iteration " << iter_ << " from "
            << state_file;
}

void Solver::RestoreRunState(const SolverState& state, const std::string& state_file) {
  std::set<std::pair<std::string, std::string>> restored;
  const auto nets = LabeledNets();
  for (const LayerRunState& saved : state.layer_state()) {
    Net* net = nullptr;
    for (const auto& [label, candidate] : nets) {
      if (label == saved.net()) net = candidate;
    }
    StatefulLayer* stateful = nullptr;
    if (net && net->has_layer(saved.layer())) {
      stateful = dynamic_cast<StatefulLayer*>(net->layer_by_name(saved.layer()).get());
    }
    if (!stateful) {
      LOG(WARNING) << "The solver state has a saved state for layer '" << saved.layer()
                   << "' of the " << saved.net() << " net, which has no such "
                   << "stateful layer; ignoring it.";
      continue;
    }
    try {
      stateful->RestoreState(saved.state());
    } catch (const Error& e) {
      Throw("Cannot restore layer '", saved.layer(), "' of the ", saved.net(),
            " net from '", state_file, "': ", e.what());
    }
    restored.emplace(saved.net(), saved.layer());
  }
  for (const auto& [label, net] : nets) {
    for (int i = 0; i < net->num_layers(); ++i) {
      if (dynamic_cast<StatefulLayer*>(net->layers()[i].get()) &&
          !restored.count({label, net->layer_names()[i]})) {
        LOG(WARNING) << "Layer '" << net->layer_names()[i] << "' of the " << label
                     << " net has no saved state in " << state_file
                     << "; it starts from its beginning.";
      }
    }
  }
  if (state.has_rng_state()) Crema::set_rng_state(state.rng_state());
}

}  // namespace crema
