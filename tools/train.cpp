// train: trains a net as a solver prototxt describes (Caffe's `caffe train`).
#include <gflags/gflags.h>
#include <glog/logging.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>

#include "crema/common.hpp"
#include "crema/gradient_sync.hpp"
#include "crema/monitor/training_monitor.hpp"
#include "crema/precision.hpp"
#include "crema/signal_handler.hpp"
#include "crema/solver.hpp"
#include "crema/tool.hpp"

DEFINE_string(solver, "", "The solver prototxt (required).");
DEFINE_string(weights, "",
              "Comma-separated .caffemodel files whose weights (matched by layer "
              "name) initialize the nets before training: fine-tuning.");
DEFINE_string(snapshot, "", "A .solverstate to resume training from.");
DEFINE_string(precision, "",
              "Training arithmetic: fp32 or bf16 (replaces the solver's precision). bf16 "
              "computes DNNL convolutions and inner products in bf16, forward and backward, "
              "with fp32 weights and gradients; int8 is for inference (see calibrate).");
DEFINE_int32(iterations, -1, "Train to this iteration instead of the solver's max_iter.");
DEFINE_string(stage, "", "Comma-separated stages of the train net (NetState).");
DEFINE_int32(level, 0, "The train net's level (NetState).");
DEFINE_string(sigint_effect, "stop",
              "What SIGINT and SIGTERM do: stop (snapshot, then exit), snapshot, none.");
DEFINE_string(sighup_effect, "snapshot", "What SIGHUP does: stop, snapshot, none.");
DEFINE_string(monitor, "",
              "Serve a live page of the run at this address: PORT or HOST:PORT "
              "(e.g. 127.0.0.1:8080; host defaults to 127.0.0.1, port 0 picks a free one).");
DEFINE_string(monitor_token, "",
              "Lets clients off loopback press the monitor's snapshot/stop buttons "
              "by sending this token.");
DEFINE_string(gpu, "", "GPU ids (not supported by this build).");
DEFINE_double(mpi_timeout, 60,
              "Under mpirun: seconds to wait for the other ranks before checking "
              "that they are alive; ranks silent for as long again are reported "
              "as failed and the job stops.");
DEFINE_bool(check_numerics, false,
            "Check blobs for NaN and infinity after each layer's forward and backward "
            "and the weights after each update; name the first bad layer and blob.");
DEFINE_string(on_nan, "", "With --check_numerics (implied): warn (the default) or stop.");
DEFINE_double(mpi_bucket_mb, 4, "Under mpirun: gradients are all-reduced in buckets "
              "of about this many megabytes.");

namespace {

const char kUsage[] =
    "train: trains a net as a Caffe solver prototxt describes.\n"
    "\n"
    "Usage:\n"
    "  train --solver=solver.prototxt [flags]\n"
    "\n"
    "Examples:\n"
    "  train --solver=models/lenet/lenet_solver.prototxt\n"
    "  train --solver=s.prototxt --weights=pretrained.caffemodel      # fine-tune\n"
    "  train --solver=s.prototxt --snapshot=s_iter_5000.solverstate   # resume\n"
    "\n"
    "Flags:\n"
    "  --solver=FILE          the solver prototxt (required)\n"
    "  --weights=A[,B...]     .caffemodel files to copy weights from (by layer name)\n"
    "  --snapshot=FILE        resume from a .solverstate (not with --weights)\n"
    "  --iterations=N         train to iteration N instead of max_iter\n"
    "  --stage=S1[,S2...]     stages of the train net\n"
    "  --level=N              level of the train net\n"
    "  --sigint_effect=E      on SIGINT/SIGTERM: stop (default: snapshot, then exit),\n"
    "                         snapshot, or none\n"
    "  --sighup_effect=E      on SIGHUP: snapshot (default), stop, or none\n"
    "  --monitor=[HOST:]PORT  serve a live page (curves, ETA, snapshot/stop buttons);\n"
    "                         loopback unless HOST says otherwise (docs/pictures.md)\n"
    "  --monitor_token=T      clients off loopback may press the buttons with this token\n"
    "  --gpu=IDS              not supported by this build (CPU only)\n"
    "  --check_numerics       check for NaN/inf after every layer and update; the\n"
    "                         first one names its layer, blob and iteration\n"
    "  --on_nan=A             warn (default: log and go on) or stop (snapshot the\n"
    "                         weights from before the bad update, exit 1)\n"
    "\n"
    "Data-parallel training: start it under mpirun (see docs/distributed.md),\n"
    "  mpirun -np 2 --bind-to none train --solver=s.prototxt\n"
    "Each rank reads its own share of the Data layers' records; the effective\n"
    "batch is the ranks times the net's batch. Rank 0 logs, tests and snapshots.\n"
    "  --mpi_timeout=S        seconds before late ranks are checked (default 60)\n"
    "  --mpi_bucket_mb=M      gradient all-reduce bucket size (default 4)\n"
    "\n"
    "Logging goes to stderr (glog); --log_dir=DIR writes log files as well.\n";

// This process's part in a data-parallel job (null when training alone).
std::shared_ptr<crema::GradientSync> g_sync;

// The --solver file with the train net's state, --iterations and the
// weights to start from as the flags give them.
crema::SolverParameter SolverFromFlags() {
  crema::SolverParameter param = crema::LoadSolverParameter(FLAGS_solver);
  param.mutable_train_state()->set_level(FLAGS_level);
  for (const std::string& stage : crema::SplitCommas(FLAGS_stage)) {
    param.mutable_train_state()->add_stage(stage);
  }
  if (FLAGS_iterations >= 0) param.set_max_iter(FLAGS_iterations);
  if (!FLAGS_precision.empty()) param.set_precision(crema::ParsePrecision(FLAGS_precision));
  if (!FLAGS_weights.empty()) {
    param.clear_weights();
    param.add_weights(FLAGS_weights);
  } else if (!FLAGS_snapshot.empty()) {
    // A resumed run takes its weights from the snapshot, not the solver file.
    param.clear_weights();
  }
  if (param.has_solver_mode() && param.solver_mode() == crema::SolverParameter::GPU) {
    LOG(INFO) << "The solver asks for GPU mode; this build trains on the CPU.";
  }
  return param;
}

int RunTraining() {
  if (FLAGS_solver.empty()) {
    crema::Throw("Give the solver prototxt with --solver=FILE (see --help).");
  }
  if (!FLAGS_gpu.empty()) {
    crema::Throw("This build of crema has no GPU support; run without --gpu "
                 "(training runs on the CPU).");
  }
  if (!FLAGS_snapshot.empty() && !FLAGS_weights.empty()) {
    crema::Throw("Give --snapshot to resume training or --weights to fine-tune, "
                 "not both.");
  }
  const crema::SolverAction sigint_effect = crema::ParseSolverAction(FLAGS_sigint_effect);
  const crema::SolverAction sighup_effect = crema::ParseSolverAction(FLAGS_sighup_effect);
  if (!(FLAGS_mpi_bucket_mb > 0)) crema::Throw("--mpi_bucket_mb must be positive.");

  crema::DistributedOptions distributed;
  distributed.timeout_seconds = FLAGS_mpi_timeout;
  distributed.bucket_bytes = static_cast<size_t>(FLAGS_mpi_bucket_mb * (1 << 20));
  g_sync = crema::StartDistributed(distributed);
  // Only the root logs; the others keep warnings and errors.
  if (g_sync && !g_sync->is_root()) FLAGS_minloglevel = std::max(FLAGS_minloglevel, 1);

  const crema::SolverParameter param = SolverFromFlags();

  crema::SignalHandler signal_handler(sigint_effect, sighup_effect);
  std::unique_ptr<crema::Solver> solver = crema::CreateSolver(param);
  solver->SetActionFunction(signal_handler.GetActionFunction());
  std::unique_ptr<crema::TrainingMonitor> monitor;
  if (!FLAGS_monitor.empty() && (!g_sync || g_sync->is_root())) {
    crema::MonitorOptions options;
    options.address = FLAGS_monitor;
    options.token = FLAGS_monitor_token;
    monitor = std::make_unique<crema::TrainingMonitor>(options);
    LOG(INFO) << "Training monitor at " << monitor->url();
  }
  if (g_sync) solver->set_gradient_sync(g_sync);
  if (FLAGS_check_numerics || !FLAGS_on_nan.empty()) {
    solver->set_numerics_watch(FLAGS_on_nan.empty() ? crema::NonFiniteAction::WARN
                                                    : crema::ParseNonFiniteAction(FLAGS_on_nan));
  }
  if (!FLAGS_snapshot.empty()) LOG(INFO) << "Resuming from " << FLAGS_snapshot;
  LOG(INFO) << "Starting Optimization";
  solver->Solve(FLAGS_snapshot);
  solver.reset();
  g_sync.reset();  // the last MPI call (MPI_Finalize) when distributed
  return 0;
}

// Under mpirun, a rank that fails tells the others, so that they stop too
// instead of waiting for it.
int Train(int argc, char** argv) {
  crema::ExpectArgs(argc, 0, 0);
  try {
    return RunTraining();
  } catch (const crema::Error& e) {
    if (!g_sync) throw;
    std::cerr << "rank " << g_sync->rank() << ": error: " << e.what() << std::endl;
    g_sync->NotifyFailure(e.what());
    std::cerr.flush();
    // Leave without MPI_Finalize, which would wait for the others.
    std::_Exit(1);
  }
}

}  // namespace

int main(int argc, char** argv) { return crema::RunTool(argc, argv, kUsage, Train); }
