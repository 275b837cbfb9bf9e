// Data-parallel training reaches the solver's loop as a SolverCallback:
// every rank starts from the root's weights and reader positions, reads its
// own shard, averages gradients before each update (a layer's reduction
// starts as soon as its backward is done) and agrees with the others on
// what the log shows and on when to snapshot or stop.
#include <memory>
#include <string>
#include <vector>

#include "crema/layers/base_data_layer.hpp"
#include "crema/solver.hpp"
#include "crema/stateful.hpp"

namespace crema {
namespace {

class DataParallel : public SolverCallback {
 public:
  explicit DataParallel(std::shared_ptr<GradientSync> sync) : sync_(std::move(sync)) {}

  void OnStart(Solver& solver) override;
  void OnRestore() override { prepared_ = false; }
  void OnFinalBackward(int iter) override {
    reducing_ = true;
    sync_->BeginIteration(iter);
  }
  void OnLayerBackward(int layer_id) override {
    if (reducing_) sync_->OnLayerBackward(layer_id);
  }
  void OnGradientsReady() override {
    reducing_ = false;
    sync_->Finish();
  }
  void AgreeOnShown(std::vector<float>* values) override { sync_->Average(values); }
  SolverAction AgreeOnAction(SolverAction local) override;
  bool leads() const override { return sync_->is_root(); }
  int participants() const override { return sync_->num_ranks(); }
  void Poll() override { sync_->Poll(); }
  void WaitForLeader() override { sync_->OrOverRanks(0); }

 private:
  // Every rank reads from the root's position, each its own shard.
  void ShardReaders(Net& net);

  std::shared_ptr<GradientSync> sync_;
  bool prepared_ = false;
  bool reducing_ = false;  // during the backward whose gradients are final
};

void DataParallel::OnStart(Solver& solver) {
  if (prepared_) return;
  prepared_ = true;
  const int rank = sync_->rank();
  LOG(INFO) << "Data-parallel training on " << sync_->num_ranks() << " ranks; gradients "
            << "are averaged before each update, so the effective batch is "
            << sync_->num_ranks() << " times the train net's.";
  // Ranks share a seed (or a restored engine): give each its own stream for
  // augmentation and dropout. Weights come from the root below.
  if (rank > 0) Crema::set_random_seed(Crema::rng()() + static_cast<uint32_t>(rank));
  sync_->Prepare(&solver.net());
  ShardReaders(solver.net());
}

void DataParallel::ShardReaders(Net& net) {
  for (int i = 0; i < net.num_layers(); ++i) {
    Layer* layer = net.layers()[i].get();
    auto* shardable = dynamic_cast<ShardableLayer*>(layer);
    if (shardable) {
      auto* stateful = dynamic_cast<StatefulLayer*>(layer);
      std::string state = sync_->is_root() && stateful ? stateful->SaveState() : std::string();
      sync_->Broadcast(&state);
      if (!sync_->is_root() && stateful) stateful->RestoreState(state);
      shardable->SetShard(sync_->rank(), sync_->num_ranks());
    } else if (dynamic_cast<BaseDataLayer*>(layer)) {
      LOG(WARNING) << "Layer '" << net.layer_names()[i] << "' (" << layer->type()
                   << ") cannot split its data between ranks: every rank reads "
                   << "the same examples. Use a Data layer (LMDB) to train on "
                   << "distinct examples per rank.";
    }
  }
}

SolverAction DataParallel::AgreeOnAction(SolverAction local) {
  constexpr int kSnapshot = 1, kStop = 2;
  int flags = local == SolverAction::SNAPSHOT ? kSnapshot
              : local == SolverAction::STOP   ? kStop
                                              : 0;
  flags = sync_->OrOverRanks(flags);
  if (flags & kStop) return SolverAction::STOP;
  if (flags & kSnapshot) return SolverAction::SNAPSHOT;
  return SolverAction::NONE;
}

}  // namespace

void Solver::set_gradient_sync(std::shared_ptr<GradientSync> sync) {
  set_callback(sync ? std::make_shared<DataParallel>(std::move(sync)) : nullptr);
}

}  // namespace crema
