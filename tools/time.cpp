// Times a net's forward and backward passes, layer by layer, as Caffe's
// `time` does, and prints ms per iteration, images/s and parameter counts.
#include <gflags/gflags.h>
#include <glog/logging.h>

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iomanip>
#include <iostream>
#include <set>
#include <sstream>

#include "crema/io/upgrade_proto.hpp"
#include "crema/layer_registry.hpp"
#include "crema/net.hpp"
#include "crema/tool.hpp"

DEFINE_string(model, "", "The net definition (.prototxt) to time.");
DEFINE_int32(iterations, 50, "How many forward-backward iterations to time.");
DEFINE_string(phase, "TRAIN", "Net phase: TRAIN or TEST.");
DEFINE_string(stage, "", "Comma-separated stages for the net state.");
DEFINE_int32(level, 0, "Net state level.");
DEFINE_bool(forward_only, false, "Time forward passes only.");
DEFINE_string(engine, "",
              "Run every layer that has it on this engine (CAFFE, DNNL); "
              "layers without it keep the default.");
DEFINE_int32(batch, 0, "Override the batch size of the net's Input layers.");

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

// The LayerParameter field whose `engine` picks a layer type's engine.
const char* EngineParamField(const std::string& type) {
  if (type == "Convolution" || type == "Deconvolution") return "convolution_param";
  if (type == "Pooling") return "pooling_param";
  if (type == "ReLU") return "relu_param";
  if (type == "LRN") return "lrn_param";
  if (type == "BatchNorm") return "batch_norm_param";
  if (type == "InnerProduct") return "inner_product_param";
  if (type == "Sigmoid") return "sigmoid_param";
  if (type == "TanH") return "tanh_param";
  if (type == "Softmax" || type == "SoftmaxWithLoss") return "softmax_param";
  return nullptr;
}

void ForceEngine(const std::string& engine, crema::NetParameter* param) {
  using google::protobuf::FieldDescriptor;
  for (auto& layer : *param->mutable_layer()) {
    const char* field_name = EngineParamField(layer.type());
    const auto engines = crema::LayerRegistry::Engines(layer.type());
    if (!field_name ||
        std::find(engines.begin(), engines.end(), engine) == engines.end()) {
      continue;
    }
    const FieldDescriptor* field = layer.GetDescriptor()->FindFieldByName(field_name);
    google::protobuf::Message* sub = layer.GetReflection()->MutableMessage(&layer, field);
    const FieldDescriptor* engine_field = sub->GetDescriptor()->FindFieldByName("engine");
    const auto* value = engine_field->enum_type()->FindValueByName(engine);
    if (value) sub->GetReflection()->SetEnum(sub, engine_field, value);
  }
}

// A net with no loss gets loss_weight 1 on its output blobs (tops that no
// later layer reads), so that backward runs from them to every parameter.
crema::NetParameter OutputsAsLoss(crema::NetParameter param) {
  auto ends_with = [](const std::string& s, const std::string& end) {
    return s.size() >= end.size() && s.compare(s.size() - end.size(), end.size(), end) == 0;
  };
  for (const auto& layer : param.layer()) {
    if (ends_with(layer.type(), "Loss")) return param;
    for (float w : layer.loss_weight()) if (w != 0.f) return param;
  }
  std::set<std::string> read_later;
  for (int i = param.layer_size() - 1; i >= 0; --i) {
    crema::LayerParameter* layer = param.mutable_layer(i);
    bool any_output = false;
    std::vector<float> weights;
    for (const auto& top : layer->top()) {
      const bool output = !read_later.count(top);
      weights.push_back(output ? 1.f : 0.f);
      any_output |= output;
      read_later.insert(top);  // an earlier layer writing it is not the output
    }
    if (layer->type() != "Input" && any_output) {
      for (float w : weights) layer->add_loss_weight(w);
    }
    for (const auto& bottom : layer->bottom()) read_later.insert(bottom);
  }
  return param;
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
  if (!FLAGS_engine.empty()) {
    if (FLAGS_engine != "CAFFE" && FLAGS_engine != "DNNL") {
      crema::Throw("--engine must be CAFFE or DNNL, not '", FLAGS_engine, "'.");
    }
    ForceEngine(FLAGS_engine, &param);
  }
  if (FLAGS_batch < 0) crema::Throw("--batch must be positive.");
  if (FLAGS_batch > 0) {
    for (auto& layer : *param.mutable_layer()) {
      if (layer.type() != "Input") continue;
      for (auto& shape : *layer.mutable_input_param()->mutable_shape()) {
        if (shape.dim_size() > 0) shape.set_dim(0, FLAGS_batch);
      }
    }
  }
  // Time backward even for deploy nets, which have no loss: their outputs
  // become the loss, as in a training step. The net's inputs get no
  // gradient, as data layers' tops get none in training.
  if (!FLAGS_forward_only) param = OutputsAsLoss(crema::Net::FilterNet(param));
  crema::Net net(param);
  net.set_plain_after_pass(false);  // timed passes read nothing but the outputs
  // Forward-only timing is inference: dead activations share buffers.
  if (FLAGS_forward_only) net.ShareActivationMemory();

  // Learnable: what the solver updates (lr_mult != 0). BatchNorm's running
  // statistics and other fixed blobs are counted separately.
  int64_t learnable = 0, fixed = 0;
  for (size_t i = 0; i < net.learnable_params().size(); ++i) {
    const int64_t n = net.learnable_params()[i]->count();
    (net.params_lr()[i] != 0.f ? learnable : fixed) += n;
  }
  int batch = 1;
  for (const auto& blob : net.blobs()) {
    if (blob->num_axes() > 0) { batch = blob->shape(0); break; }
  }

  // Multiply-adds of convolutions and inner products, counted as 2 FLOPs:
  // weights x output positions x images.
  std::vector<double> layer_flops(net.num_layers(), 0.0);
  for (int i = 0; i < net.num_layers(); ++i) {
    const auto& layer = net.layers()[i];
    const std::string type = layer->type();
    if (layer->blobs().empty() || net.top_vecs()[i].empty()) continue;
    const crema::Blob* weights = layer->blobs()[0].get();
    const crema::Blob* top = net.top_vecs()[i][0];
    if (type == "Convolution") {
      layer_flops[i] = 2.0 * weights->count() * top->count(2) * top->shape(0);
    } else if (type == "Deconvolution") {
      const crema::Blob* bottom = net.bottom_vecs()[i][0];
      layer_flops[i] = 2.0 * weights->count() * bottom->count(2) * bottom->shape(0);
    } else if (type == "InnerProduct") {
      layer_flops[i] = 2.0 * weights->count() * (top->count() / weights->shape(0));
    }
  }

  LOG(INFO) << "Performing Forward";
  float initial_loss;
  net.Forward(&initial_loss);
  LOG(INFO) << "Initial loss: " << initial_loss;
  if (!FLAGS_forward_only) {
    LOG(INFO) << "Performing Backward";
    net.Backward();
  }

  const int n = net.num_layers();
  std::vector<double> forward_ms(n, 0.0), backward_ms(n, 0.0);
  double forward_total = 0, backward_total = 0;
  std::vector<double> iteration_ms;
  const auto total_start = Clock::now();
  LOG(INFO) << "*** Benchmark begins ***";
  LOG(INFO) << "Testing for " << FLAGS_iterations << " iterations.";
  for (int it = 1; it <= FLAGS_iterations; ++it) {
    const auto iter_start = Clock::now();
    auto start = Clock::now();
    for (int i = 0; i < n; ++i) {
      const auto t = Clock::now();
      net.ForwardFromTo(i, i);
      forward_ms[i] += MsSince(t);
    }
    forward_total += MsSince(start);
    if (!FLAGS_forward_only) {
      start = Clock::now();
      for (int i = n - 1; i >= 0; --i) {
        const auto t = Clock::now();
        net.BackwardFromTo(i, i);
        backward_ms[i] += MsSince(t);
      }
      backward_total += MsSince(start);
    }
    iteration_ms.push_back(MsSince(iter_start));
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
  if (fixed > 0) {
    std::printf("Fixed parameter values (lr_mult 0, e.g. BatchNorm statistics): %s\n",
                Grouped(fixed).c_str());
  }
  std::printf("Average forward: %.3f ms, backward: %.3f ms, total: %.3f ms per iteration\n",
              forward_total / iters, backward_total / iters, per_iter);
  std::printf("Throughput: %.1f images/s\n", per_iter > 0 ? batch * 1000.0 / per_iter : 0.0);
  std::sort(iteration_ms.begin(), iteration_ms.end());
  const size_t mid = iteration_ms.size() / 2;
  const double median = iteration_ms.size() % 2
                            ? iteration_ms[mid]
                            : (iteration_ms[mid - 1] + iteration_ms[mid]) / 2;
  // Backward costs one more pass per gradient it computes: the weights'
  // and, unless the bottom is a net input, the bottom's.
  auto passes = [&](int i) {
    if (FLAGS_forward_only || !net.layer_need_backward()[i]) return 1;
    return 1 + (net.layers()[i]->param_propagate_down(0) ? 1 : 0) +
           (!net.bottom_need_backward()[i].empty() && net.bottom_need_backward()[i][0] ? 1 : 0);
  };
  double flops = 0;
  for (int i = 0; i < n; ++i) flops += layer_flops[i] * passes(i);
  std::printf("Median iteration: %.3f ms\n", median);
  std::printf("Compute: %.3f GFLOP per iteration, %.1f GFLOP/s at the median\n",
              flops / 1e9, median > 0 ? flops / 1e6 / median : 0.0);
  // The convolutions alone: their share of the time and their speed.
  double conv_ms = 0, conv_flops = 0;
  for (int i = 0; i < n; ++i) {
    if (std::string(net.layers()[i]->type()) != "Convolution") continue;
    conv_ms += (forward_ms[i] + backward_ms[i]) / iters;
    conv_flops += layer_flops[i] * passes(i);
  }
  if (conv_ms > 0) {
    std::printf("Convolution layers: %.3f ms per iteration, %.1f GFLOP/s\n", conv_ms,
                conv_flops / 1e6 / conv_ms);
  }
  size_t largest = 0;
  for (const auto& blob : net.blobs()) {
    largest = std::max(largest, static_cast<size_t>(blob->count()) * sizeof(float));
  }
  size_t weight_bytes = 0;
  for (const crema::Blob* blob : net.learnable_params()) weight_bytes += blob->count() * sizeof(float);
  std::printf("Weights: %.1f MB; activations: %.1f MB in buffers (largest blob %.1f MB)%s\n",
              weight_bytes / 1048576.0, net.ActivationBytes() / 1048576.0,
              largest / 1048576.0,
              net.shares_activation_memory() ? ", shared across layers" : "");
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  std::printf("Peak resident memory: %.1f MB\n", usage.ru_maxrss / 1024.0);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return crema::RunTool(argc, argv,
                        "Times a net's forward and backward passes.\n"
                        "Usage: time --model=NET.prototxt [--iterations=50] [--phase=TRAIN]\n"
                        "            [--engine=CAFFE|DNNL] [--batch=N]",
                        Time);
}
