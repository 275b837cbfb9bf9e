// The MPI implementation of GradientSync (built with CREMA_WITH_MPI). Private
// to the library: the core and the tools reach it through
// StartDistributed(), which it joins as the "mpi" backend.
//
// Gradients travel in buckets of several parameter blobs. A bucket's
// MPI_Iallreduce starts as soon as the backward of the lowest layer that
// writes one of its blobs is done, so it runs while the layers below work;
// Finish waits for all of them and scales the sums by 1/K.
//
// No wait is unbounded: every collective is non-blocking and polled with
// MPI_Test. While polling, a rank answers liveness pings and receives
// failure notices on a second communicator. A rank that waited `timeout`
// seconds pings the others; ranks that stay silent for as long again are
// named in the error that stops this one. A watchdog thread ends the
// process if a call that cannot be polled (start-up, MPI_Finalize) hangs.
#ifndef CREMA_PARALLEL_MPI_GRADIENT_SYNC_HPP_
#define CREMA_PARALLEL_MPI_GRADIENT_SYNC_HPP_

#include <mpi.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <list>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "crema/blob.hpp"
#include "crema/gradient_sync.hpp"

namespace crema {

class MpiGradientSync : public GradientSync {
 public:
  // Null when the process was not started by mpirun (or another MPI launcher).
  static std::unique_ptr<GradientSync> Start(const DistributedOptions& options);

  explicit MpiGradientSync(const DistributedOptions& options);
  ~MpiGradientSync() override;

  int rank() const override { return rank_; }
  int num_ranks() const override { return size_; }
  void Prepare(Net* net) override;
  void BeginIteration(int iter) override;
  void OnLayerBackward(int layer_id) override;
  void Finish() override;
  void Broadcast(std::string* bytes) override;
  void Average(std::vector<float>* values) override;
  int OrOverRanks(int flags) override;
  void Poll() override;
  void NotifyFailure(const std::string& message) override;

 private:
  using Clock = std::chrono::steady_clock;

  // A group of parameter blobs reduced by one MPI_Iallreduce.
  struct Bucket {
    std::vector<Blob*> blobs;
    std::vector<float> buffer;
    // The bucket may start once backward has passed this layer.
    int ready_layer = 0;
    bool started = false;
    MPI_Request request = MPI_REQUEST_NULL;
  };
  // A control message being sent.
  struct Outgoing {
    std::string payload;
    MPI_Request request = MPI_REQUEST_NULL;
  };

  void PlanBuckets(Net* net);
  void StartBucket(Bucket* bucket);
  // Polls until every request completes, serving control messages. `what`
  // names the operation in errors.
  void Wait(std::vector<MPI_Request>* requests, const std::string& what);
  void Wait(MPI_Request* request, const std::string& what) {
    std::vector<MPI_Request> one{*request};
    Wait(&one, what);
    *request = MPI_REQUEST_NULL;
  }
  // Receives pending control messages; throws when another rank failed.
  void ServeControl();
  void SendControl(int dest, int tag, const std::string& payload);
  void ReclaimSends();
  // Throws crema::Error naming the call when code is not MPI_SUCCESS.
  void Check(int code, const char* call) const;
  // What this rank is doing, for messages: "the gradient all-reduce of iteration 12".
  std::string Doing(const std::string& what) const;
  void MeasureAllReduce();
  void LogSummary() const;

  // Watchdog for calls that cannot be polled.
  void ArmWatchdog(const std::string& what, double seconds);
  void DisarmWatchdog();
  void WatchdogLoop();

  DistributedOptions options_;
  int rank_ = 0;
  int size_ = 1;
  MPI_Comm data_comm_ = MPI_COMM_NULL;
  MPI_Comm control_comm_ = MPI_COMM_NULL;

  std::vector<Bucket> buckets_;
  size_t next_bucket_ = 0;
  size_t gradient_floats_ = 0;
  int iter_ = -1;

  // Liveness checks: the round of the latest ping and who answered it.
  int ping_round_ = 0;
  std::set<int> answered_;
  std::list<Outgoing> sends_;
  // A failure is known (ours or a peer's): skip MPI_Finalize, which would wait.
  bool failed_ = false;
  bool peer_failed_ = false;

  // Test hooks: make one rank fail at one iteration (see the .cpp).
  int fail_rank_ = -1;
  int fail_iter_ = -1;
  std::string fail_mode_;

  // Statistics for the closing summary.
  int reduced_iters_ = 0;
  double wait_seconds_ = 0;
  double span_seconds_ = 0;
  double measured_allreduce_seconds_ = -1;
  Clock::time_point first_start_;

  std::thread watchdog_;
  std::mutex watchdog_mutex_;
  std::condition_variable watchdog_cv_;
  bool watchdog_stop_ = false;
  bool watchdog_armed_ = false;
  Clock::time_point watchdog_deadline_;
  std::string watchdog_what_;
};

}  // namespace crema

#endif  // CREMA_PARALLEL_MPI_GRADIENT_SYNC_HPP_
