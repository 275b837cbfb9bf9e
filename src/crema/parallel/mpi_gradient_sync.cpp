#include "mpi_gradient_sync.hpp"

#include <glog/logging.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <numeric>

#include "crema/common.hpp"
#include "crema/net.hpp"

namespace crema {
namespace {

// Tags on the control communicator.
constexpr int kTagFailure = 1;  // payload: the failing rank's error message
constexpr int kTagAck = 2;      // a failure notice arrived
constexpr int kTagPing = 3;     // payload: the ping round
constexpr int kTagPong = 4;     // payload: the round being answered

// mpirun (Open MPI), Hydra (MPICH, Intel MPI) and PMIx launchers set these.
bool LaunchedByMpi() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"}) {
    if (std::getenv(name)) return true;
  }
  return false;
}

int EnvInt(const char* name, int fallback) {
  const char* value = std::getenv(name);
  return value && *value ? std::atoi(value) : fallback;
}

double Seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

std::string Megabytes(size_t floats) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.2f MB", floats * sizeof(float) / 1e6);
  return text;
}

std::string JoinRanks(const std::vector<int>& ranks) {
  std::string text;
  for (size_t i = 0; i < ranks.size(); ++i) {
    text += (i == 0 ? "" : i + 1 == ranks.size() ? " and " : ", ") + std::to_string(ranks[i]);
  }
  return text;
}

}  // namespace

std::unique_ptr<GradientSync> MpiGradientSync::Start(const DistributedOptions& options) {
  if (!LaunchedByMpi()) return nullptr;
  return std::make_unique<MpiGradientSync>(options);
}

MpiGradientSync::MpiGradientSync(const DistributedOptions& options) : options_(options) {
  if (!(options_.timeout_seconds > 0)) {
    Throw("The MPI timeout must be positive; it is ", options_.timeout_seconds, " s.");
  }
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized) {
    int provided = 0;
    // Only the main thread calls MPI (data prefetch threads never do).
    if (MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
      Throw("MPI_Init failed; is this process started by mpirun?");
    }
  }
  // Errors come back as codes (turned into crema::Error) instead of aborting.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
  fail_rank_ = EnvInt("CREMA_MPI_TEST_FAIL_RANK", -1);
  fail_iter_ = EnvInt("CREMA_MPI_TEST_FAIL_ITER", -1);
  if (const char* mode = std::getenv("CREMA_MPI_TEST_FAIL_MODE")) fail_mode_ = mode;

  watchdog_ = std::thread([this] { WatchdogLoop(); });
  // Duplicating is collective and cannot be polled: the watchdog bounds it.
  ArmWatchdog("setting up MPI communicators", 2 * options_.timeout_seconds);
  int code = MPI_Comm_dup(MPI_COMM_WORLD, &data_comm_);
  if (code == MPI_SUCCESS) code = MPI_Comm_dup(MPI_COMM_WORLD, &control_comm_);
  DisarmWatchdog();
  if (code != MPI_SUCCESS) {
    failed_ = true;
    {
      std::lock_guard<std::mutex> lock(watchdog_mutex_);
      watchdog_stop_ = true;
    }
    watchdog_cv_.notify_all();
    watchdog_.join();
    Check(code, "MPI_Comm_dup");
  }
}

MpiGradientSync::~MpiGradientSync() {
  if (!failed_) {
    LogSummary();
    ArmWatchdog("MPI_Finalize", options_.timeout_seconds);
    // Pongs and acks are small and long delivered; drop what is left.
    for (Outgoing& send : sends_) {
      if (send.request != MPI_REQUEST_NULL) MPI_Request_free(&send.request);
    }
    sends_.clear();
    MPI_Comm_free(&data_comm_);
    MPI_Comm_free(&control_comm_);
    MPI_Finalize();
    DisarmWatchdog();
  }
  {
    std::lock_guard<std::mutex> lock(watchdog_mutex_);
    watchdog_stop_ = true;
  }
  watchdog_cv_.notify_all();
  if (watchdog_.joinable()) watchdog_.join();
}

// ---- errors, control messages, waiting ----

void MpiGradientSync::Check(int code, const char* call) const {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  Throw("MPI error on rank ", rank_, " in ", call, ": ", std::string(text, length),
        " (another rank may have died).");
}

std::string MpiGradientSync::Doing(const std::string& what) const {
  return iter_ >= 0 ? StrCat(what, " of iteration ", iter_) : what;
}

void MpiGradientSync::SendControl(int dest, int tag, const std::string& payload) {
  sends_.emplace_back();
  Outgoing& send = sends_.back();
  send.payload = payload;
  Check(MPI_Isend(send.payload.data(), static_cast<int>(send.payload.size()), MPI_CHAR,
                  dest, tag, control_comm_, &send.request),
        "MPI_Isend");
}

void MpiGradientSync::ReclaimSends() {
  for (auto it = sends_.begin(); it != sends_.end();) {
    int done = 0;
    if (it->request != MPI_REQUEST_NULL) {
      Check(MPI_Test(&it->request, &done, MPI_STATUS_IGNORE), "MPI_Test");
    } else {
      done = 1;
    }
    it = done ? sends_.erase(it) : std::next(it);
  }
}

void MpiGradientSync::ServeControl() {
  ReclaimSends();
  for (;;) {
    int arrived = 0;
    MPI_Status status;
    Check(MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, control_comm_, &arrived, &status),
          "MPI_Iprobe");
    if (!arrived) return;
    int count = 0;
    MPI_Get_count(&status, MPI_CHAR, &count);
    std::string payload(static_cast<size_t>(count), '\0');
    Check(MPI_Recv(count ? &payload[0] : nullptr, count, MPI_CHAR, status.MPI_SOURCE,
                   status.MPI_TAG, control_comm_, MPI_STATUS_IGNORE),
          "MPI_Recv");
    const int source = status.MPI_SOURCE;
    switch (status.MPI_TAG) {
      case kTagPing:
        SendControl(source, kTagPong, payload);
        break;
      case kTagPong:
        if (payload == std::to_string(ping_round_)) answered_.insert(source);
        break;
      case kTagAck:
        answered_.insert(source);
        break;
      case kTagFailure:
        SendControl(source, kTagAck, "");
        failed_ = true;
        if (!peer_failed_) {
          peer_failed_ = true;
          Throw("rank ", source, " of ", size_, " failed: ", payload, " (rank ", rank_,
                " stops too", iter_ >= 0 ? StrCat(", at iteration ", iter_) : "", ")");
        }
        break;
      default:
        break;
    }
  }
}

void MpiGradientSync::Wait(std::vector<MPI_Request>* requests, const std::string& what) {
  if (requests->empty()) return;
  const std::chrono::duration<double> timeout(options_.timeout_seconds);
  const auto start = Clock::now();
  auto deadline = start + std::chrono::duration_cast<Clock::duration>(timeout);
  bool pinging = false;
  Clock::time_point ping_deadline;
  for (long polls = 0;; ++polls) {
    int done = 0;
    Check(MPI_Testall(static_cast<int>(requests->size()), requests->data(), &done,
                      MPI_STATUSES_IGNORE),
          "MPI_Testall");
    if (done) return;
    ServeControl();
    const auto now = Clock::now();
    if (!pinging && now >= deadline) {
      // The others are late: are they alive? Live ranks answer while they
      // poll (here, after each layer's backward, between test batches).
      ++ping_round_;
      answered_.clear();
      for (int r = 0; r < size_; ++r) {
        if (r != rank_) SendControl(r, kTagPing, std::to_string(ping_round_));
      }
      pinging = true;
      ping_deadline = now + std::chrono::duration_cast<Clock::duration>(timeout);
    }
    if (pinging) {
      if (static_cast<int>(answered_.size()) == size_ - 1) {
        LOG(WARNING) << "rank " << rank_ << ": waited " << Seconds(now - start) << " s in "
                     << Doing(what) << "; every rank answers, so it waits on.";
        pinging = false;
        deadline = now + std::chrono::duration_cast<Clock::duration>(timeout);
      } else if (now >= ping_deadline) {
        std::vector<int> silent;
        for (int r = 0; r < size_; ++r) {
          if (r != rank_ && !answered_.count(r)) silent.push_back(r);
        }
        Throw(silent.size() == 1 ? "rank " : "ranks ", JoinRanks(silent), " of ", size_,
              " failed: no answer for ", static_cast<int>(Seconds(now - start)),
              " s while rank ", rank_, " waited in ", Doing(what),
              " (dead or hung; --mpi_timeout=", options_.timeout_seconds,
              " s). Stopping.");
      }
    }
    // Spin briefly (results usually come fast), then poll gently so a
    // waiting rank leaves the CPU to ranks that still compute.
    if (polls > 2000) std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
}

void MpiGradientSync::Poll() {
  if (size_ > 1) ServeControl();
}

void MpiGradientSync::NotifyFailure(const std::string& message) {
  const bool peer_known = peer_failed_;
  failed_ = true;
  if (size_ == 1) return;
  // Bounded: a dead rank never acknowledges.
  const auto deadline =
      Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(
                         std::min(options_.timeout_seconds, 5.0)));
  try {
    if (!peer_known) {
      answered_.clear();
      ++ping_round_;  // stale pongs must not count as acknowledgements
      peer_failed_ = true;  // from here on, notices from others are only acknowledged
      for (int r = 0; r < size_; ++r) {
        if (r != rank_) SendControl(r, kTagFailure, StrCat(message));
      }
      while (static_cast<int>(answered_.size()) < size_ - 1 && Clock::now() < deadline) {
        ServeControl();
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    }
    // Let acknowledgements this rank owes get out.
    while (!sends_.empty() && Clock::now() < deadline) {
      ReclaimSends();
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  } catch (const Error&) {
    // A broken link to a dead rank: nothing more to tell.
  }
}

// ---- gradients ----

void MpiGradientSync::PlanBuckets(Net* net) {
  const std::vector<Blob*>& params = net->learnable_params();
  // A parameter's gradient is final once backward passed the lowest layer
  // that uses it (shared parameters are used by several).
  std::vector<int> ready(params.size(), INT_MAX);
  for (int layer = 0; layer < net->num_layers(); ++layer) {
    for (int param_id : net->param_ids(layer)) {
      const int learnable = net->param_info(param_id).learnable_id;
      ready[learnable] = std::min(ready[learnable], layer);
    }
  }
  std::vector<int> order(params.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&ready](int a, int b) { return ready[a] > ready[b]; });
  buckets_.clear();
  gradient_floats_ = 0;
  size_t bucket_floats = 0;
  const size_t limit = std::max<size_t>(1, options_.bucket_bytes / sizeof(float));
  for (int id : order) {
    const size_t count = static_cast<size_t>(params[id]->count());
    if (buckets_.empty() || (bucket_floats > 0 && bucket_floats + count > limit)) {
      buckets_.emplace_back();
      bucket_floats = 0;
    }
    Bucket& bucket = buckets_.back();
    bucket.blobs.push_back(params[id]);
    bucket.ready_layer = ready[id];
    bucket_floats += count;
    bucket.buffer.resize(bucket_floats);
    gradient_floats_ += count;
  }
  for (Bucket& bucket : buckets_) {
    if (bucket.buffer.size() > static_cast<size_t>(INT_MAX)) {
      Throw("A gradient bucket holds ", bucket.buffer.size(), " values, more than one "
            "MPI call can carry; a parameter blob is too large.");
    }
  }
}

void MpiGradientSync::Prepare(Net* net) {
  PlanBuckets(net);
  iter_ = -1;
  // Every rank starts from the root's weights (fillers differ per rank;
  // --weights and restores agree anyway, and this makes sure).
  std::vector<MPI_Request> requests;
  for (Bucket& bucket : buckets_) {
    if (rank_ == 0) {
      float* out = bucket.buffer.data();
      for (Blob* blob : bucket.blobs) {
        out = std::copy(blob->cpu_data(), blob->cpu_data() + blob->count(), out);
      }
    }
    requests.emplace_back();
    Check(MPI_Ibcast(bucket.buffer.data(), static_cast<int>(bucket.buffer.size()), MPI_FLOAT,
                     0, data_comm_, &requests.back()),
          "MPI_Ibcast");
  }
  Wait(&requests, "the broadcast of the initial weights");
  if (rank_ != 0) {
    for (Bucket& bucket : buckets_) {
      const float* in = bucket.buffer.data();
      for (Blob* blob : bucket.blobs) {
        std::copy(in, in + blob->count(), blob->mutable_cpu_data());
        in += blob->count();
      }
    }
  }
  MeasureAllReduce();
  LOG(INFO) << "Gradient all-reduce: " << gradient_floats_ << " parameters ("
            << Megabytes(gradient_floats_) << ") in " << buckets_.size()
            << " bucket(s) of up to " << Megabytes(options_.bucket_bytes / sizeof(float))
            << " over " << size_ << " ranks; one all-reduce of them all takes "
            << measured_allreduce_seconds_ * 1e3 << " ms here (measured at start)";
}

void MpiGradientSync::MeasureAllReduce() {
  // The cost of reducing the whole gradient once, without overlap: the
  // number the scaling model in docs/distributed.md starts from.
  measured_allreduce_seconds_ = 0;
  if (size_ == 1 || buckets_.empty()) return;
  double best = -1;
  for (int repeat = 0; repeat < 3; ++repeat) {
    MPI_Request barrier;
    Check(MPI_Ibarrier(data_comm_, &barrier), "MPI_Ibarrier");
    Wait(&barrier, "a barrier before measuring the all-reduce");
    const auto start = Clock::now();
    std::vector<MPI_Request> requests(buckets_.size());
    for (size_t i = 0; i < buckets_.size(); ++i) {
      Bucket& bucket = buckets_[i];
      Check(MPI_Iallreduce(MPI_IN_PLACE, bucket.buffer.data(),
                           static_cast<int>(bucket.buffer.size()), MPI_FLOAT, MPI_SUM,
                           data_comm_, &requests[i]),
            "MPI_Iallreduce");
    }
    Wait(&requests, "measuring the all-reduce");
    const double seconds = Seconds(Clock::now() - start);
    if (best < 0 || seconds < best) best = seconds;
  }
  measured_allreduce_seconds_ = best;
}

void MpiGradientSync::BeginIteration(int iter) {
  iter_ = iter;
  next_bucket_ = 0;
  for (Bucket& bucket : buckets_) bucket.started = false;
  if (rank_ == fail_rank_ && iter == fail_iter_) {
    // Test hooks: CREMA_MPI_TEST_FAIL_RANK / _ITER / _MODE (error, exit, hang).
    if (fail_mode_ == "exit") {
      std::fprintf(stderr, "rank %d: exiting at iteration %d (CREMA_MPI_TEST_FAIL_MODE=exit)\n",
                   rank_, iter);
      std::fflush(stderr);
      std::_Exit(3);
    }
    if (fail_mode_ == "hang") {
      std::fprintf(stderr, "rank %d: hanging at iteration %d (CREMA_MPI_TEST_FAIL_MODE=hang)\n",
                   rank_, iter);
      std::fflush(stderr);
      for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));
    }
    Throw("failure injected for testing at iteration ", iter,
          " (CREMA_MPI_TEST_FAIL_RANK=", fail_rank_, ").");
  }
}

void MpiGradientSync::StartBucket(Bucket* bucket) {
  float* out = bucket->buffer.data();
  for (Blob* blob : bucket->blobs) {
    out = std::copy(blob->cpu_diff(), blob->cpu_diff() + blob->count(), out);
  }
  if (next_bucket_ == 0) first_start_ = Clock::now();
  Check(MPI_Iallreduce(MPI_IN_PLACE, bucket->buffer.data(),
                       static_cast<int>(bucket->buffer.size()), MPI_FLOAT, MPI_SUM,
                       data_comm_, &bucket->request),
        "MPI_Iallreduce");
  bucket->started = true;
}

void MpiGradientSync::OnLayerBackward(int layer_id) {
  if (size_ == 1) return;
  // Buckets start in the same order on every rank, as MPI requires.
  while (next_bucket_ < buckets_.size() && buckets_[next_bucket_].ready_layer >= layer_id) {
    StartBucket(&buckets_[next_bucket_]);
    ++next_bucket_;
  }
  // Open MPI moves non-blocking collectives forward only inside MPI calls.
  for (size_t i = 0; i < next_bucket_; ++i) {
    int done = 0;
    if (buckets_[i].request != MPI_REQUEST_NULL) {
      Check(MPI_Test(&buckets_[i].request, &done, MPI_STATUS_IGNORE), "MPI_Test");
    }
  }
  ServeControl();
}

void MpiGradientSync::Finish() {
  if (size_ == 1) return;
  while (next_bucket_ < buckets_.size()) {
    StartBucket(&buckets_[next_bucket_]);
    ++next_bucket_;
  }
  const auto wait_start = Clock::now();
  std::vector<MPI_Request> requests;
  for (Bucket& bucket : buckets_) requests.push_back(bucket.request);
  Wait(&requests, "the gradient all-reduce");
  const auto done = Clock::now();
  const float scale = 1.0f / static_cast<float>(size_);
  for (Bucket& bucket : buckets_) {
    bucket.request = MPI_REQUEST_NULL;
    const float* in = bucket.buffer.data();
    for (Blob* blob : bucket.blobs) {
      float* diff = blob->mutable_cpu_diff();
      for (int i = 0; i < blob->count(); ++i) diff[i] = in[i] * scale;
      in += blob->count();
    }
  }
  ++reduced_iters_;
  wait_seconds_ += Seconds(done - wait_start);
  span_seconds_ += Seconds(done - first_start_);
}

void MpiGradientSync::LogSummary() const {
  if (reduced_iters_ == 0) return;
  LOG(INFO) << "Gradient all-reduce over " << size_ << " ranks: " << reduced_iters_
            << " iterations of " << Megabytes(gradient_floats_) << "; waited "
            << wait_seconds_ / reduced_iters_ * 1e3
            << " ms per iteration after backward (first bucket to last done: "
            << span_seconds_ / reduced_iters_ * 1e3 << " ms)";
}

// ---- small collectives ----

void MpiGradientSync::Broadcast(std::string* bytes) {
  if (size_ == 1) return;
  uint64_t size = bytes->size();
  MPI_Request request;
  Check(MPI_Ibcast(&size, 1, MPI_UINT64_T, 0, data_comm_, &request), "MPI_Ibcast");
  Wait(&request, "a broadcast from rank 0");
  bytes->resize(size);
  constexpr uint64_t kChunk = uint64_t{1} << 30;
  std::vector<MPI_Request> requests;
  for (uint64_t offset = 0; offset < size; offset += kChunk) {
    requests.emplace_back();
    Check(MPI_Ibcast(&(*bytes)[offset], static_cast<int>(std::min(kChunk, size - offset)),
                     MPI_CHAR, 0, data_comm_, &requests.back()),
          "MPI_Ibcast");
  }
  Wait(&requests, "a broadcast from rank 0");
}

void MpiGradientSync::Average(std::vector<float>* values) {
  if (size_ == 1 || values->empty()) return;
  MPI_Request request;
  Check(MPI_Iallreduce(MPI_IN_PLACE, values->data(), static_cast<int>(values->size()),
                       MPI_FLOAT, MPI_SUM, data_comm_, &request),
        "MPI_Iallreduce");
  Wait(&request, "averaging the loss");
  for (float& value : *values) value /= static_cast<float>(size_);
}

int MpiGradientSync::OrOverRanks(int flags) {
  if (size_ == 1) return flags;
  MPI_Request request;
  Check(MPI_Iallreduce(MPI_IN_PLACE, &flags, 1, MPI_INT, MPI_BOR, data_comm_, &request),
        "MPI_Iallreduce");
  Wait(&request, "agreeing on stop and snapshot requests");
  return flags;
}

// ---- watchdog ----

void MpiGradientSync::ArmWatchdog(const std::string& what, double seconds) {
  std::lock_guard<std::mutex> lock(watchdog_mutex_);
  watchdog_armed_ = true;
  watchdog_what_ = what;
  watchdog_deadline_ =
      Clock::now() + std::chrono::duration_cast<Clock::duration>(
                         std::chrono::duration<double>(seconds));
}

void MpiGradientSync::DisarmWatchdog() {
  std::lock_guard<std::mutex> lock(watchdog_mutex_);
  watchdog_armed_ = false;
}

void MpiGradientSync::WatchdogLoop() {
  std::unique_lock<std::mutex> lock(watchdog_mutex_);
  while (!watchdog_stop_) {
    if (watchdog_armed_ && Clock::now() >= watchdog_deadline_) {
      std::fprintf(stderr,
                   "rank %d: error: %s did not finish in time; another rank has "
                   "probably died. Exiting.\n",
                   rank_, watchdog_what_.c_str());
      std::fflush(stderr);
      std::_Exit(1);
    }
    watchdog_cv_.wait_for(lock, std::chrono::milliseconds(100));
  }
}

namespace {

[[maybe_unused]] const bool g_registered = [] {
  RegisterDistributedBackend("mpi", &MpiGradientSync::Start);
  return true;
}();

}  // namespace

}  // namespace crema
