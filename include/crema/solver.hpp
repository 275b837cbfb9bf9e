// Solver: trains a Net. It builds the train net and the test nets from a
// SolverParameter, runs the loop (forward/backward, update, display, test,
// snapshot) and saves and restores its state. Subclasses under solvers/ hold
// the update rules (SGD, Nesterov, AdaGrad, RMSProp, AdaDelta, Adam).
#ifndef CREMA_SOLVER_HPP_
#define CREMA_SOLVER_HPP_

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "crema/blob.hpp"
#include "crema/gradient_sync.hpp"
#include "crema/net.hpp"
#include "crema/proto/crema.pb.h"

namespace crema {

// What the training loop should do between iterations (asked through the
// action function; signal handlers answer it).
enum class SolverAction { NONE, STOP, SNAPSHOT };

// "stop", "snapshot" or "none"; anything else is a crema::Error.
SolverAction ParseSolverAction(const std::string& name);

// The numerics watch (train --check_numerics, --on_nan): off, or on a NaN or
// infinity log a warning and go on, or stop with the last good weights.
enum class NonFiniteAction { OFF, WARN, STOP };

// "warn" or "stop"; anything else is a crema::Error.
NonFiniteAction ParseNonFiniteAction(const std::string& name);

// Reads a solver prototxt the way `train --solver` does: parses it, maps the
// legacy solver_type enum to `type`, resolves relative net paths (net,
// train_net, test_net) against the working directory first and then the
// solver file's folder, and gives snapshot_prefix Caffe's default (the solver
// file's path without extension; a folder prefix gets the file's stem).
SolverParameter LoadSolverParameter(const std::string& solver_file);

// The learning rate at iteration `iter` under param's lr_policy, exactly as
// Caffe computes it. `current_step` is the step counter the "step" and
// "multistep" policies keep (multistep advances it by at most one per call).
float LearningRate(const SolverParameter& param, int iter, int* current_step);

class Solver;

// Hooks into the training loop, the way Caffe's multi-GPU training reached
// it: data parallelism (solver_parallel.cpp) is one. A solver has exactly
// one; the default, a single process, does nothing.
class SolverCallback {
 public:
  virtual ~SolverCallback() = default;
  // Before each Step's first iteration.
  virtual void OnStart(Solver& solver) {}
  // After Restore: what OnStart prepared refers to the old state.
  virtual void OnRestore() {}
  // The forward/backward whose gradients go into iteration `iter`'s update
  // (the last of iter_size) starts; the net reports each layer's backward
  // through OnLayerBackward until OnGradientsReady.
  virtual void OnFinalBackward(int iter) {}
  virtual void OnLayerBackward(int layer_id) {}
  virtual void OnGradientsReady() {}
  // Values the log shows (loss, outputs): replaced by what all participants
  // agree to show (their mean).
  virtual void AgreeOnShown(std::vector<float>* values) {}
  // The action every participant takes between iterations.
  virtual SolverAction AgreeOnAction(SolverAction local) { return local; }
  // Whether this process tests, snapshots and logs for all.
  virtual bool leads() const { return true; }
  // Processes training together (images/s counts them all).
  virtual int participants() const { return 1; }
  // Between test batches, which only the leader runs.
  virtual void Poll() {}
  // At the end of a run: holds every participant until the leader is done.
  virtual void WaitForLeader() {}
};

class Solver {
 public:
  explicit Solver(const SolverParameter& param);
  virtual ~Solver() = default;
  Solver(const Solver&) = delete;
  Solver& operator=(const Solver&) = delete;

  virtual const char* type() const = 0;

  // Trains up to max_iter (resuming from resume_file when given), then
  // snapshots and runs the final display/test pass as Caffe does.
  void Solve(const std::string& resume_file = "");
  // Runs `iters` training iterations.
  void Step(int iters);
  // Restores iteration, step, history, weights and crema's resumable state
  // from a .solverstate written by Snapshot.
  void Restore(const std::string& state_file);
  // The same from a state already read; `state_file` names it in errors and
  // is where a relative learned_net is looked for.
  void RestoreFrom(const SolverState& state, const std::string& state_file);
  // Writes <prefix>_iter_<N>.caffemodel and .solverstate (atomically).
  void Snapshot();
  // Runs every test net and logs its mean outputs (see test_scores()).
  void TestAll();

  // Copies weights (a comma-separated list of .caffemodel files) into the
  // train net and every test net, as fine-tuning does.
  void LoadWeights(const std::string& files);

  // Asked between iterations (and between test batches) whether to stop or
  // snapshot: how SIGINT/SIGHUP reach the loop.
  void SetActionFunction(std::function<SolverAction()> func) {
    action_function_ = std::move(func);
  }

  // Checks for NaN and infinity (set before Solve or Step): every top blob
  // after its layer's forward, every bottom and parameter diff after its
  // layer's backward, the gradients before the update and the weights after
  // it. The first non-finite value is reported with its layer, blob,
  // direction and iteration. WARN logs it and goes on; STOP undoes a bad
  // update, snapshots the weights from before it and throws crema::Error.
  void set_numerics_watch(NonFiniteAction action);

  // Data-parallel training (set before Solve or Step): this solver becomes
  // one rank of sync->num_ranks(). It starts from the root's weights and
  // data position, reads its own shard through the train net's shardable
  // layers, averages gradients over ranks before each update, shows the
  // mean loss over ranks, and leaves tests and snapshots to the root. A
  // SolverCallback (solver_parallel.cpp) brings all of it to the loop.
  void set_gradient_sync(std::shared_ptr<GradientSync> sync);
  // Any other hook into the loop (null: the single-process default).
  void set_callback(std::shared_ptr<SolverCallback> callback);

  const SolverParameter& param() const { return param_; }
  Net& net() { return *net_; }
  const std::vector<std::shared_ptr<Net>>& test_nets() const { return test_nets_; }
  int iter() const { return iter_; }
  int current_step() const { return current_step_; }
  float smoothed_loss() const { return smoothed_loss_; }
  bool requested_early_exit() const { return requested_early_exit_; }
  // The optimizer's saved state, one or two blobs per learnable parameter.
  const std::vector<std::shared_ptr<Blob>>& history() const { return history_; }
  // Mean scores of the latest test of each test net.
  const std::vector<std::vector<float>>& test_scores() const { return test_scores_; }
  // The file name a snapshot at the current iteration gets.
  std::string SnapshotFilename(const std::string& extension) const;

 protected:
  // Turns the accumulated diffs into an update and applies it.
  virtual void ApplyUpdate() = 0;
  // The learning rate for the current iteration (updates current_step_).
  float GetLearningRate() { return LearningRate(param_, iter_, &current_step_); }

  SolverParameter param_;
  std::shared_ptr<Net> net_;
  std::vector<std::shared_ptr<Net>> test_nets_;
  std::vector<std::shared_ptr<Blob>> history_;
  int iter_ = 0;
  int current_step_ = 0;

 private:
  // Construction (solver.cpp).
  void CheckParameters() const;
  void InitTrainNet();
  void InitTestNets();
  void CheckSnapshotWritePermissions() const;
  // The loop (solver_loop.cpp).
  void TestIfDue(double* test_seconds);
  float ForwardBackward();
  void Test(int test_net_id);
  void UpdateSmoothedLoss(float loss, int start_iter, int average_loss);
  void DisplayTrainOutputs();
  void DisplaySpeed(double* test_seconds);
  void ApplyUpdatePlain();
  // The numerics watch (solver_numerics.cpp): ApplyUpdatePlain with checks
  // before and after it.
  void ApplyUpdateWatched();
  std::string NonFiniteParam(bool diff) const;
  void ReportNonFinite(const std::string& problem, bool before_update);
  // Snapshot on the schedule or when asked; true when asked to stop.
  bool HandleRequests();
  void FinalPass(int start_iter);
  SolverAction GetRequestedAction() const {
    return action_function_ ? action_function_() : SolverAction::NONE;
  }
  // Run state (solver_state.cpp): the nets whose stateful layers go into
  // the solverstate, with their labels.
  std::vector<std::pair<std::string, Net*>> LabeledNets() const;
  // The states of the test nets' stateful layers, by (net label, layer).
  std::map<std::pair<std::string, std::string>, std::string> TestNetStates() const;
  void SaveRunState(SolverState* state) const;
  void RestoreRunState(const SolverState& state, const std::string& state_file);
  // Gives a net the solver's precision unless it names its own.
  void ApplyPrecision(NetParameter* net) const;
  void CheckLearnedNetFits(const NetParameter& learned, const std::string& state_file,
                           const std::string& weights_file) const;
  void CheckHistoryFits(const SolverState& state, const std::string& state_file) const;

  std::function<SolverAction()> action_function_;
  std::shared_ptr<SolverCallback> callback_;
  bool requested_early_exit_ = false;
  int last_snapshot_iter_ = -1;
  std::string last_state_file_;  // the newest complete snapshot (or resumed one)
  NonFiniteAction numerics_watch_ = NonFiniteAction::OFF;
  int non_finite_warnings_ = 0;
  std::vector<float> losses_;
  float smoothed_loss_ = 0;
  std::vector<std::vector<float>> test_scores_;
  // While TestAll runs: the test nets' layer states from before it began.
  // A snapshot taken during a test saves these, and a stopped test puts them
  // back, so a resumed run repeats the whole test as an uninterrupted run.
  std::map<std::pair<std::string, std::string>, std::string> test_start_states_;
  // For the speed / time-left line.
  std::chrono::steady_clock::time_point display_timer_;
  int display_last_iter_ = 0;
  int stop_iter_ = 0;
};

// The solver registry: type name ("SGD", "Adam", ...) -> factory.
using SolverCreator = std::function<std::unique_ptr<Solver>(const SolverParameter&)>;

class SolverRegistry {
 public:
  static void Add(const std::string& type, SolverCreator creator);
  static std::vector<std::string> Types();
};

// Builds the solver param.type names (or the legacy solver_type enum, when
// type is unset). An unknown type is a crema::Error listing the known ones.
std::unique_ptr<Solver> CreateSolver(const SolverParameter& param);

struct SolverRegisterer {
  SolverRegisterer(const char* type, SolverCreator creator) {
    SolverRegistry::Add(type, std::move(creator));
  }
};

#define CREMA_REGISTER_SOLVER(type, Class)                                   \
  static ::crema::SolverRegisterer CREMA_SOLVER_CONCAT_(g_crema_solver_,     \
                                                        __LINE__)(           \
      type, [](const ::crema::SolverParameter& p) {                          \
        return std::unique_ptr<::crema::Solver>(new Class(p));               \
      })
#define CREMA_SOLVER_CONCAT_INNER_(a, b) a##b
#define CREMA_SOLVER_CONCAT_(a, b) CREMA_SOLVER_CONCAT_INNER_(a, b)

}  // namespace crema

#endif  // CREMA_SOLVER_HPP_
