// The solver's run state: snapshots (weights and .solverstate, with the
// stateful layers' positions and the random engine) and restoring them, so a
// resumed run is the same run.
#include <map>
#include <set>
#include <string>

#include "crema/io/paths.hpp"
#include "crema/io/proto_io.hpp"
#include "crema/io/upgrade_proto.hpp"
#include "crema/solver.hpp"
#include "crema/stateful.hpp"

namespace crema {

std::string Solver::SnapshotFilename(const std::string& extension) const {
  return param_.snapshot_prefix() + "_iter_" + std::to_string(iter_) + extension;
}

// The weights go first and the state that names them second, each written
// atomically: the newest .solverstate on disk always refers to a complete
// .caffemodel. A failed write (disk full) is an error that names the file
// and the snapshot still intact; training does not go on without snapshots.
void Solver::Snapshot() {
  if (!callback_->leads()) {
    last_snapshot_iter_ = iter_;
    return;
  }
  const std::string model_filename = SnapshotFilename(".caffemodel");
  const std::string state_filename = SnapshotFilename(".solverstate");
  try {
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
    LOG(INFO) << "Snapshotting solver state to binary proto file " << state_filename;
    WriteProtoToBinaryFile(state, state_filename);
  } catch (const Error& e) {
    Throw("The snapshot of iteration ", iter_, " could not be written: ", e.what(),
          last_state_file_.empty()
              ? std::string(" No earlier snapshot of this run exists.")
              : StrCat(" The previous snapshot '", last_state_file_, "' is intact."));
  }
  last_snapshot_iter_ = iter_;
  last_state_file_ = state_filename;
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
            net_->DescribeLearnableParam(num_params ? i % num_params : 0),
            " of net '", net_->name(), "' has shape ", history_[i]->shape_string(), ".");
    }
    // Checked before anything is restored, so a bad file leaves the solver as it was.
    const BlobProto& blob = state.history(i);
    const int values = blob.double_data_size() > 0 ? blob.double_data_size() : blob.data_size();
    if (values != history_[i]->count()) {
      Throw("The solver state '", state_file, "' is damaged: its history blob ", i,
            " has shape ", ShapeString(saved), " (", history_[i]->count(), " values) but holds ",
            values, " values.");
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
  RestoreFrom(state, state_file);
}

void Solver::RestoreFrom(const SolverState& state, const std::string& state_file) {
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
  last_state_file_ = state_file;
  callback_->OnRestore();  // the next run starts from the leader's state again
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
