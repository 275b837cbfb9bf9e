// GradientSync: the seam through which data-parallel training plugs into the
// solver. Every process ("rank") runs the same net on its own share of the
// data; after backward the ranks average their parameter gradients, so K
// ranks with batch B make the same update as one process with batch K*B.
//
// The solver drives it: Prepare once before training, then for each
// iteration BeginIteration, OnLayerBackward after every layer's backward
// (a layer's parameter gradients are final then, so their reduction can
// start while the layers below are still working), and Finish before the
// update. Implementations (MPI, under src/crema/parallel/) are optional
// build components that register a backend; this header names no MPI type.
#ifndef CREMA_GRADIENT_SYNC_HPP_
#define CREMA_GRADIENT_SYNC_HPP_

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace crema {

class Net;

class GradientSync {
 public:
  virtual ~GradientSync() = default;

  // This process's index among num_ranks() processes; rank 0 is the root,
  // which alone logs, tests and snapshots.
  virtual int rank() const = 0;
  virtual int num_ranks() const = 0;
  bool is_root() const { return rank() == 0; }

  // Learns the net's learnable parameters and makes every rank hold the
  // root's values. Called once, after weights are loaded or restored.
  virtual void Prepare(Net* net) = 0;
  // The backward of training iteration `iter` whose gradients are to be
  // averaged is about to start.
  virtual void BeginIteration(int iter) = 0;
  // Layer `layer_id` finished its backward (layers go from last to first).
  virtual void OnLayerBackward(int layer_id) = 0;
  // Waits for every reduction: each learnable parameter's diff is now the
  // mean over ranks.
  virtual void Finish() = 0;

  // Replaces `bytes` on every rank with the root's.
  virtual void Broadcast(std::string* bytes) = 0;
  // Replaces each value with its mean over ranks.
  virtual void Average(std::vector<float>* values) = 0;
  // The bitwise OR of `flags` over ranks.
  virtual int OrOverRanks(int flags) = 0;
  // Answers other ranks' liveness checks and reports their failures (throws
  // crema::Error when another rank failed). Cheap; call it during long work
  // that only some ranks do (the root's tests).
  virtual void Poll() = 0;
  // Tells the other ranks that this one is stopping on `message`, so they
  // stop too instead of waiting for it.
  virtual void NotifyFailure(const std::string& message) = 0;
};

// Options the train tool passes to a backend.
struct DistributedOptions {
  // Seconds a rank waits for the others in a collective operation before it
  // checks whether they are alive; ranks that do not answer within as long
  // again are reported as failed.
  double timeout_seconds = 60;
  // Gradients are reduced in buckets of about this many bytes.
  size_t bucket_bytes = size_t{4} << 20;
};

// A backend starts the process's part in a distributed job; it returns null
// when the process was not started by its launcher (a plain single process).
using DistributedBackend =
    std::function<std::unique_ptr<GradientSync>(const DistributedOptions& options)>;

// Backends register themselves when their optional component is built in.
void RegisterDistributedBackend(const std::string& name, DistributedBackend backend);
// The names of the backends built in ("mpi"), for messages.
std::vector<std::string> DistributedBackends();
// Asks each backend in turn; null when the process trains alone.
std::unique_ptr<GradientSync> StartDistributed(const DistributedOptions& options);

}  // namespace crema

#endif  // CREMA_GRADIENT_SYNC_HPP_
