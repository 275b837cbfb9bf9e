// Times a net's forward and backward passes, layer by layer, as Caffe's
// `time` does, and prints ms per iteration, images/s and parameter counts.
#include <gflags/gflags.h>
#include <glog/logging.h>

#include <chrono>
#include <cstdio>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "crema/io/upgrade_proto.hpp"
#include "crema/net.hpp"
#include "crema/tool.hpp"

DEFINE_string(model, "", "The net definition (.prototxt) to time.");
DEFINE_int32(iterations, 50, "How many forward-backward iterations to time.");
DEFINE_string(phase, "TRAIN", "Net phase: TRAIN or TEST.");
DEFINE_string(stage, "", "Comma-separated stages for the net state.");
DEFINE_int32(level, 0, "Net state level.");
DEFINE_bool(forward_only, false, "Time forward passes only.");

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

std::vector<std::string> Split(const std::string& s) {
  std::vector<std::string> parts;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (!item.empty()) parts.push_back(item);
  }
  return parts;
}

int Time(int argc, char** argv) {
  if (FLAGS_model.empty()) crema::Throw("--model is required (a net .prototxt).");
  if (FLAGS_iterations < 1) crema::Throw("--iterations must be at least 1.");
  crema::Phase phase;
  if (!crema::Phase_Parse(FLAGS_phase, &phase)) {
    crema::Throw("--phase must be TRAIN or TEST, not '", FLAGS_phase, "'.");
  }
  crema::NetParameter param;
  crema::ReadNetParamsFromTextFile(FLAGS_model, &param);
  param.mutable_state()->set_phase(phase);
  param.mutable_state()->set_level(FLAGS_level);
  for (const auto& stage : Split(FLAGS_stage)) param.mutable_state()->add_stage(stage);
  // Time backward even for deploy nets, which have no loss.
  param.set_force_backward(true);
  crema::Net net(param);

  int64_t learnable = 0;
  for (const crema::Blob* blob : net.learnable_params()) learnable += blob->count();
  int batch = 1;
  for (const auto& blob : net.blobs()) {
    if (blob->num_axes() > 0) { batch = blob->shape(0); break; }
  }

  LOG(INFO) << "Performing Forward";
  float initial_loss;
  net.Forward(&initial_loss);
  LOG(INFO) << "Initial loss: " << initial_loss;
  if (!FLAGS_forward_only) {
    LOG(INFO) << "Performing Backward";
    net.Backward();
  }

  const auto& layers = net.layers();
  const int n = net.num_layers();
  std::vector<double> forward_ms(n, 0.0), backward_ms(n, 0.0);
  double forward_total = 0, backward_total = 0;
  const auto total_start = Clock::now();
  LOG(INFO) << "*** Benchmark begins ***";
  LOG(INFO) << "Testing for " << FLAGS_iterations << " iterations.";
  for (int it = 1; it <= FLAGS_iterations; ++it) {
    const auto iter_start = Clock::now();
    auto start = Clock::now();
    for (int i = 0; i < n; ++i) {
      const auto t = Clock::now();
      layers[i]->Forward(net.bottom_vecs()[i], net.top_vecs()[i]);
      forward_ms[i] += MsSince(t);
    }
    forward_total += MsSince(start);
    if (!FLAGS_forward_only) {
      start = Clock::now();
      for (int i = n - 1; i >= 0; --i) {
        const auto t = Clock::now();
        layers[i]->Backward(net.top_vecs()[i], net.bottom_need_backward()[i],
                            net.bottom_vecs()[i]);
        backward_ms[i] += MsSince(t);
      }
      backward_total += MsSince(start);
    }
    LOG(INFO) << "Iteration: " << it << " forward-backward time: "
              << MsSince(iter_start) << " ms.";
  }
  const double total_ms = MsSince(total_start);
  const double iters = FLAGS_iterations;
  LOG(INFO) << "Average time per layer: ";
  for (int i = 0; i < n; ++i) {
    LOG(INFO) << std::setfill(' ') << std::setw(10) << net.layer_names()[i]
              << "\tforward: " << forward_ms[i] / iters << " ms.";
    if (!FLAGS_forward_only) {
      LOG(INFO) << std::setfill(' ') << std::setw(10) << net.layer_names()[i]
                << "\tbackward: " << backward_ms[i] / iters << " ms.";
    }
  }
  const double per_iter = (forward_total + backward_total) / iters;
  LOG(INFO) << "Average Forward pass: " << forward_total / iters << " ms.";
  LOG(INFO) << "Average Backward pass: " << backward_total / iters << " ms.";
  LOG(INFO) << "Average Forward-Backward: " << per_iter << " ms.";
  LOG(INFO) << "Total Time: " << total_ms << " ms.";
  LOG(INFO) << "*** Benchmark ends ***";

  std::printf("Net: %s (%s), %d layers, batch %d\n", net.name().c_str(),
              FLAGS_phase.c_str(), n, batch);
  std::printf("Learnable parameters: %s (%lld)\n", Grouped(learnable).c_str(),
              static_cast<long long>(learnable));
  std::printf("Average forward: %.3f ms, backward: %.3f ms, total: %.3f ms per iteration\n",
              forward_total / iters, backward_total / iters, per_iter);
  std::printf("Throughput: %.1f images/s\n", per_iter > 0 ? batch * 1000.0 / per_iter : 0.0);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return crema::RunTool(argc, argv,
                        "Times a net's forward and backward passes.\n"
                        "Usage: time --model=NET.prototxt [--iterations=50] [--phase=TRAIN]",
                        Time);
}
