#include "crema/net_flops.hpp"

#include <set>
#include <string>

#include "crema/io/paths.hpp"

namespace crema {
namespace {

bool HasLoss(const NetParameter& param) {
  for (const auto& layer : param.layer()) {
    if (EndsWith(layer.type(), "Loss")) return true;
    for (float w : layer.loss_weight()) {
      if (w != 0.f) return true;
    }
  }
  return false;
}

}  // namespace

std::vector<double> LayerForwardFlops(const Net& net) {
  std::vector<double> flops(net.num_layers(), 0.0);
  for (int i = 0; i < net.num_layers(); ++i) {
    const auto& layer = net.layers()[i];
    if (layer->blobs().empty() || net.top_vecs()[i].empty()) continue;
    const std::string type = layer->type();
    const Blob* weights = layer->blobs()[0].get();
    const Blob* top = net.top_vecs()[i][0];
    if (type == "Convolution") {
      flops[i] = 2.0 * weights->count() * top->count(2) * top->shape(0);
    } else if (type == "Deconvolution") {
      const Blob* bottom = net.bottom_vecs()[i][0];
      flops[i] = 2.0 * weights->count() * bottom->count(2) * bottom->shape(0);
    } else if (type == "InnerProduct") {
      // Rows of the product: the top's elements over the outputs per row.
      flops[i] = 2.0 * weights->count() * (top->count() / weights->shape(0));
    }
  }
  return flops;
}

int LayerPasses(const Net& net, int i, bool forward_only) {
  if (forward_only || !net.layer_need_backward()[i]) return 1;
  const auto& bottom_need = net.bottom_need_backward()[i];
  return 1 + (net.layers()[i]->param_propagate_down(0) ? 1 : 0) +
         (!bottom_need.empty() && bottom_need[0] ? 1 : 0);
}

double IterationFlops(const Net& net, bool forward_only) {
  const std::vector<double> forward = LayerForwardFlops(net);
  double flops = 0;
  for (int i = 0; i < net.num_layers(); ++i) {
    flops += forward[i] * LayerPasses(net, i, forward_only);
  }
  return flops;
}

NetParameter OutputsAsLoss(NetParameter param) {
  if (HasLoss(param)) return param;
  std::set<std::string> read_later;
  for (int i = param.layer_size() - 1; i >= 0; --i) {
    LayerParameter* layer = param.mutable_layer(i);
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

void SetInputBatch(int batch, NetParameter* param) {
  for (auto& layer : *param->mutable_layer()) {
    if (layer.type() != "Input") continue;
    for (auto& shape : *layer.mutable_input_param()->mutable_shape()) {
      if (shape.dim_size() > 0) shape.set_dim(0, batch);
    }
  }
}

}  // namespace crema
