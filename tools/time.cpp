// Times a net's forward and backward passes, layer by layer, as Caffe's
// `time` does, and prints ms per iteration, images/s and parameter counts.
#include <gflags/gflags.h>
#include <glog/logging.h>

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iomanip>
#include <string>
#include <vector>

#include "crema/io/upgrade_proto.hpp"
#include "crema/layer_registry.hpp"
#include "crema/net.hpp"
#include "crema/calibration.hpp"
#include "crema/net_flops.hpp"
#include "crema/precision.hpp"
#include "crema/tool.hpp"

DEFINE_string(model, "", "The net definition (.prototxt) to time.");
DEFINE_int32(iterations, 50, "How many forward-backward iterations to time.");
DEFINE_string(phase, "TRAIN", "Net phase: TRAIN or TEST.");
DEFINE_string(stage, "", "Comma-separated stages for the net state.");
DEFINE_int32(level, 0, "Net state level.");
DEFINE_bool(forward_only, false, "Time forward passes only.");
DEFINE_bool(update, false, "Also time the weight update that ends a training step (plain SGD: "
            "the gradients cleared, scaled by a small learning rate and subtracted), in "
            "which the engines' bf16 copies of the weights are refreshed.");
DEFINE_string(engine, "",
              "Run every layer whose type has this engine (CAFFE, DNNL) on it, "
              "unless its parameters name an engine; other layers keep the default.");
DEFINE_int32(batch, 0, "Override the batch size of the net's Input layers.");
DEFINE_string(precision, "", "Arithmetic of DNNL convolutions and inner products: fp32, bf16 "
              "or int8 (default: the net's own). Falls back to fp32, and says so, where "
              "the CPU lacks the instructions.");
DEFINE_string(calibration, "", "int8: a calibration file from tools/calibrate (default: "
              "ranges measured on one fp32 pass over the timing input).");

namespace {

using Clock = std::chrono::steady_clock;

double MsSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

std::string Grouped(int64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

// The net --model describes, in --phase, --level and --stage, with --batch.
crema::NetParameter LoadNet() {
  if (FLAGS_model.empty()) crema::Throw("--model is required (a net .prototxt).");
  if (FLAGS_iterations < 1) crema::Throw("--iterations must be at least 1.");
  if (FLAGS_batch < 0) crema::Throw("--batch must be positive.");
  crema::Phase phase;
  if (!crema::Phase_Parse(FLAGS_phase, &phase)) {
    crema::Throw("--phase must be TRAIN or TEST, not '", FLAGS_phase, "'.");
  }
  crema::NetParameter param;
  crema::ReadNetParamsFromTextFile(FLAGS_model, &param);
  param.mutable_state()->set_phase(phase);
  param.mutable_state()->set_level(FLAGS_level);
  for (const auto& stage : crema::SplitCommas(FLAGS_stage)) {
    param.mutable_state()->add_stage(stage);
  }
  if (FLAGS_batch > 0) crema::SetInputBatch(FLAGS_batch, &param);
  // Time backward even for deploy nets, which have no loss: their outputs
  // become the loss, as in a training step. The net's inputs get no
  // gradient, as data layers' tops get none in training.
  if (!FLAGS_forward_only) param = crema::OutputsAsLoss(crema::Net::FilterNet(param));
  return param;
}

// Milliseconds spent in each layer and in each pass, summed over iterations.
struct Timings {
  std::vector<double> forward_ms, backward_ms;
  double forward_total = 0, backward_total = 0, update_total = 0, total_ms = 0;
  std::vector<double> iteration_ms;

  double Median() const {
    std::vector<double> sorted = iteration_ms;
    std::sort(sorted.begin(), sorted.end());
    const size_t mid = sorted.size() / 2;
    return sorted.size() % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  }
};

// One forward (and backward) pass, timed layer by layer, into t.
void TimeIteration(crema::Net* net, Timings* t) {
  const int n = net->num_layers();
  auto start = Clock::now();
  for (int i = 0; i < n; ++i) {
    const auto layer_start = Clock::now();
    net->ForwardFromTo(i, i);
    t->forward_ms[i] += MsSince(layer_start);
  }
  t->forward_total += MsSince(start);
  if (FLAGS_forward_only) return;
  start = Clock::now();
  for (int i = n - 1; i >= 0; --i) {
    const auto layer_start = Clock::now();
    net->BackwardFromTo(i, i);
    t->backward_ms[i] += MsSince(layer_start);
  }
  t->backward_total += MsSince(start);
  if (!FLAGS_update) return;
  // A solver step's passes over the parameters: scale the gradient by the
  // learning rate, subtract it, clear it for the next iteration.
  start = Clock::now();
  for (crema::Blob* param : net->learnable_params()) param->scale_diff(1e-6f);
  net->Update();
  net->ClearParamDiffsBeforeBackward();
  t->update_total += MsSince(start);
}

Timings TimeNet(crema::Net* net) {
  LOG(INFO) << "Performing Forward";
  float initial_loss;
  net->Forward(&initial_loss);
  LOG(INFO) << "Initial loss: " << initial_loss;
  if (!FLAGS_forward_only) {
    LOG(INFO) << "Performing Backward";
    net->Backward();
  }
  Timings t;
  t.forward_ms.assign(net->num_layers(), 0.0);
  t.backward_ms.assign(net->num_layers(), 0.0);
  const auto total_start = Clock::now();
  LOG(INFO) << "*** Benchmark begins ***";
  LOG(INFO) << "Testing for " << FLAGS_iterations << " iterations.";
  for (int it = 1; it <= FLAGS_iterations; ++it) {
    const auto iter_start = Clock::now();
    TimeIteration(net, &t);
    t.iteration_ms.push_back(MsSince(iter_start));
    LOG(INFO) << "Iteration: " << it << " forward-backward time: " << t.iteration_ms.back()
              << " ms.";
  }
  t.total_ms = MsSince(total_start);
  return t;
}

// The per-layer and total averages, in the log lines Caffe's `time` writes.
void LogAverages(const crema::Net& net, const Timings& t) {
  const double iters = FLAGS_iterations;
  LOG(INFO) << "Average time per layer: ";
  for (int i = 0; i < net.num_layers(); ++i) {
    LOG(INFO) << std::setfill(' ') << std::setw(10) << net.layer_names()[i]
              << "\tforward: " << t.forward_ms[i] / iters << " ms.";
    if (!FLAGS_forward_only) {
      LOG(INFO) << std::setfill(' ') << std::setw(10) << net.layer_names()[i]
                << "\tbackward: " << t.backward_ms[i] / iters << " ms.";
    }
  }
  LOG(INFO) << "Average Forward pass: " << t.forward_total / iters << " ms.";
  LOG(INFO) << "Average Backward pass: " << t.backward_total / iters << " ms.";
  LOG(INFO) << "Average Forward-Backward: "
            << (t.forward_total + t.backward_total) / iters << " ms.";
  if (FLAGS_update) LOG(INFO) << "Average update: " << t.update_total / iters << " ms.";
  LOG(INFO) << "Total Time: " << t.total_ms << " ms.";
  LOG(INFO) << "*** Benchmark ends ***";
}

// The batch: the first dimension of the net's first blob with any.
int Batch(const crema::Net& net) {
  for (const auto& blob : net.blobs()) {
    if (blob->num_axes() > 0) return blob->shape(0);
  }
  return 1;
}

// Learnable parameters (what the solver updates: lr_mult != 0) and fixed
// ones (BatchNorm's running statistics and other lr_mult 0 blobs).
void PrintParameters(const crema::Net& net) {
  int64_t learnable = 0, fixed = 0;
  for (size_t i = 0; i < net.learnable_params().size(); ++i) {
    const int64_t n = net.learnable_params()[i]->count();
    (net.learnable_info(static_cast<int>(i)).lr_mult != 0.f ? learnable : fixed) += n;
  }
  std::printf("Net: %s (%s), %d layers, batch %d\n", net.name().c_str(),
              FLAGS_phase.c_str(), net.num_layers(), Batch(net));
  std::printf("Learnable parameters: %s (%lld)\n", Grouped(learnable).c_str(),
              static_cast<long long>(learnable));
  if (fixed > 0) {
    std::printf("Fixed parameter values (lr_mult 0, e.g. BatchNorm statistics): %s\n",
                Grouped(fixed).c_str());
  }
}

// Time per iteration, throughput, and the arithmetic rate overall and of
// the convolutions alone.
void PrintSpeed(const crema::Net& net, const Timings& t) {
  const double iters = FLAGS_iterations;
  const double per_iter = (t.forward_total + t.backward_total + t.update_total) / iters;
  if (FLAGS_update) {
    std::printf("Average forward: %.3f ms, backward: %.3f ms, update: %.3f ms, total: %.3f ms "
                "per iteration\n", t.forward_total / iters, t.backward_total / iters,
                t.update_total / iters, per_iter);
  } else {
    std::printf("Average forward: %.3f ms, backward: %.3f ms, total: %.3f ms per iteration\n",
                t.forward_total / iters, t.backward_total / iters, per_iter);
  }
  std::printf("Throughput: %.1f images/s\n", per_iter > 0 ? Batch(net) * 1000.0 / per_iter : 0.0);
  const double median = t.Median();
  const double flops = crema::IterationFlops(net, FLAGS_forward_only);
  std::printf("Median iteration: %.3f ms\n", median);
  std::printf("Compute: %.3f GFLOP per iteration, %.1f GFLOP/s at the median\n",
              flops / 1e9, median > 0 ? flops / 1e6 / median : 0.0);
  const std::vector<double> layer_flops = crema::LayerForwardFlops(net);
  double conv_ms = 0, conv_flops = 0;
  for (int i = 0; i < net.num_layers(); ++i) {
    if (std::string(net.layers()[i]->type()) != "Convolution") continue;
    conv_ms += (t.forward_ms[i] + t.backward_ms[i]) / iters;
    conv_flops += layer_flops[i] * crema::LayerPasses(net, i, FLAGS_forward_only);
  }
  if (conv_ms > 0) {
    std::printf("Convolution layers: %.3f ms per iteration, %.1f GFLOP/s\n", conv_ms,
                conv_flops / 1e6 / conv_ms);
  }
}

void PrintMemory(const crema::Net& net) {
  size_t largest = 0;
  for (const auto& blob : net.blobs()) {
    largest = std::max(largest, static_cast<size_t>(blob->count()) * sizeof(float));
  }
  size_t weight_bytes = 0;
  for (const crema::Blob* blob : net.learnable_params()) {
    weight_bytes += blob->count() * sizeof(float);
  }
  std::printf("Weights: %.1f MB; activations: %.1f MB in buffers (largest blob %.1f MB)%s\n",
              weight_bytes / 1048576.0, net.ActivationBytes() / 1048576.0,
              largest / 1048576.0,
              net.shares_activation_memory() ? ", shared across layers" : "");
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  std::printf("Peak resident memory: %.1f MB\n", usage.ru_maxrss / 1024.0);
}

// Layers built while it lives run on --engine where their type has it.
crema::ScopedEngineOverride EngineFromFlag() {
  try {
    return crema::ScopedEngineOverride(FLAGS_engine);
  } catch (const crema::Error& e) {
    crema::Throw("--engine: ", e.what());
  }
}

// --precision and --calibration. int8 timing needs ranges but not good
// ones: without a file they come from one fp32 pass over the timing input.
void SetPrecision(crema::NetParameter* param) {
  if (FLAGS_precision.empty()) return;
  if (crema::ParsePrecision(FLAGS_precision) != crema::INT8 || !FLAGS_calibration.empty()) {
    crema::SetNetPrecision(FLAGS_precision, FLAGS_calibration, "", param);
    return;
  }
  param->set_precision(crema::FP32);
  crema::Net fp32(*param);
  crema::CalibrationOptions options;
  options.method = "maxabs";
  options.iterations = 1;
  options.bias_correction = false;  // changes no timing
  *param->mutable_calibration() = crema::Calibrate(&fp32, options);
  param->set_precision(crema::INT8);
  LOG(INFO) << "int8 input ranges from one fp32 pass (no --calibration).";
}

int Time(int argc, char** argv) {
  crema::ExpectArgs(argc, 0, 0);
  crema::NetParameter param = LoadNet();
  const crema::ScopedEngineOverride engine = EngineFromFlag();
  SetPrecision(&param);
  crema::Net net(param);
  net.set_plain_after_pass(false);  // timed passes read nothing but the outputs
  // Forward-only timing is inference: dead activations share buffers.
  if (FLAGS_forward_only) net.ShareActivationMemory();
  const Timings timings = TimeNet(&net);
  LogAverages(net, timings);
  PrintParameters(net);
  PrintSpeed(net, timings);
  PrintMemory(net);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return crema::RunTool(argc, argv,
                        "Times a net's forward and backward passes.\n"
                        "Usage: time --model=NET.prototxt [--iterations=50] [--phase=TRAIN]\n"
                        "            [--engine=CAFFE|DNNL] [--batch=N] [--forward_only]",
                        Time);
}
