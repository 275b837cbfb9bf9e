#include "crema/solver.hpp"

#include <cstdio>
#include <fstream>
#include <sstream>

#include "crema/io/proto_io.hpp"
#include "crema/io/upgrade_proto.hpp"

namespace crema {

SolverAction ParseSolverAction(const std::string& name) {
  if (name == "stop") return SolverAction::STOP;
  if (name == "snapshot") return SolverAction::SNAPSHOT;
  if (name == "none") return SolverAction::NONE;
  Throw("Unknown signal effect '", name, "'; use stop, snapshot or none.");
}

Solver::Solver(const SolverParameter& param) : param_(param) {
  CheckParameters();
  LOG(INFO) << "Initializing solver from parameters: " << std::endl
            << param_.DebugString();
  CheckSnapshotWritePermissions();
  if (param_.random_seed() >= 0) Crema::set_random_seed(param_.random_seed());
  InitTrainNet();
  InitTestNets();
  set_callback(nullptr);
  for (int i = 0; i < param_.weights_size(); ++i) LoadWeights(param_.weights(i));
  LOG(INFO) << "Solver scaffolding done.";
}

void Solver::set_callback(std::shared_ptr<SolverCallback> callback) {
  callback_ = callback ? std::move(callback) : std::make_shared<SolverCallback>();
  net_->set_after_backward(
      [hook = callback_](int layer_id) { hook->OnLayerBackward(layer_id); });
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
  ApplyPrecision(&net_param);
  net_ = std::make_shared<Net>(net_param);
  // The loop reads only the outputs; Step converts the rest when it ends.
  net_->set_plain_after_pass(false);
}

// The solver's precision reaches every net it builds that names none of
// its own: training computes in it, and testing sees what training made.
void Solver::ApplyPrecision(NetParameter* net) const {
  if (param_.precision() == INT8) {
    Throw("The solver's precision is INT8, which is for inference only; train in FP32 or "
          "BF16, then run tools/calibrate and test or classify with --precision=int8.");
  }
  if (param_.precision() == FP32 || net->has_precision()) return;
  net->set_precision(param_.precision());
  if (param_.precision() == BF16) {
    LOG(INFO) << "Net '" << net->name() << "' trains in bf16: convolutions and inner "
              << "products compute in bf16, weights and gradients stay fp32.";
  }
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
    ApplyPrecision(&net_params[i]);
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

}  // namespace crema
