// One converter per ONNX operator: node -> crema layers.
#include <cfloat>
#include <cmath>

#include "onnx_import.hpp"

namespace crema {
namespace onnx_import {
namespace {

// ONNX pads are [begin..., end...]; Caffe's convolutions pad symmetrically.
std::vector<int64_t> SymmetricPads(const NodeContext& ctx, int n) {
  const std::string auto_pad = ctx.String("auto_pad", "NOTSET");
  if (auto_pad != "NOTSET" && auto_pad != "VALID") {
    ctx.Refuse("auto_pad " + auto_pad + " is not read; export with explicit pads.");
  }
  std::vector<int64_t> pads = ctx.Ints("pads", std::vector<int64_t>(2 * n, 0));
  if (auto_pad == "VALID") pads.assign(2 * n, 0);
  for (int i = 0; i < n; ++i) {
    if (pads[i] != pads[i + n]) {
      ctx.Refuse(
          "its pads are not the same before and after; Caffe's "
          "convolutions pad both sides alike.");
    }
  }
  return std::vector<int64_t>(pads.begin(), pads.begin() + n);
}

void ConvLike(NodeContext* ctx, bool transposed) {
  const Constant& w = ctx->RequireConst(1, "the weight");
  const int n = static_cast<int>(w.dims.size()) - 2;
  const int64_t group = ctx->Int("group", 1);
  LayerParameter* layer =
      ctx->AddLayer(transposed ? "Deconvolution" : "Convolution", {ctx->Blob(0)}, {ctx->Output(0)});
  ConvolutionParameter* p = layer->mutable_convolution_param();
  p->set_num_output(transposed ? w.dims[1] * group : w.dims[0]);
  p->set_group(group);
  p->set_bias_term(ctx->HasInput(2));
  const std::vector<int64_t> pads = SymmetricPads(*ctx, n);
  const std::vector<int64_t> strides = ctx->Ints("strides", std::vector<int64_t>(n, 1));
  const std::vector<int64_t> dilations = ctx->Ints("dilations", std::vector<int64_t>(n, 1));
  for (int i = 0; i < n; ++i) {
    p->add_kernel_size(w.dims[i + 2]);
    p->add_stride(strides[i]);
    p->add_pad(pads[i]);
    p->add_dilation(dilations[i]);
  }
  if (transposed) {
    for (int64_t v : ctx->Ints("output_padding", {})) {
      if (v != 0) ctx->Refuse("output_padding is not zero; Caffe's deconvolution has none.");
    }
    if (ctx->Has("output_shape")) ctx->Refuse("output_shape is not read; give pads instead.");
  }
  AddBlob(layer, w.dims, w.floats);
  if (ctx->HasInput(2)) {
    const Constant& b = ctx->RequireConst(2, "the bias");
    AddBlob(layer, {b.count()}, b.floats);
  }
}

void Conv(NodeContext* ctx) { ConvLike(ctx, false); }

// Caffe's average pooling divides by the window clipped to the input plus
// its pads, rounding the output size up. ONNX's with count_include_pad = 0
// divides by the real (or, after a Pad node, padded) elements, and its
// trailing pads only add windows. The two agree when the leading pads are
// zero and Caffe's rounding gives as many windows: the pads move into the
// Pooling layer (from the Pad node) and the rounding becomes CEIL.
std::string AverageOverRealElements(NodeContext* ctx, const std::vector<int64_t>& kernel,
                                    std::vector<int64_t>* pads, bool* ceil_mode) {
  const std::string input = ctx->node().input(0);
  std::vector<int64_t> caffe_pads = {0, 0, 0, 0};
  std::string bottom;
  auto pending = ctx->graph()->pending_pads.find(input);
  if (pending != ctx->graph()->pending_pads.end()) {
    bottom = pending->second.first;
    caffe_pads = pending->second.second;
  } else {
    bottom = ctx->Blob(0);
  }
  if (*pads == std::vector<int64_t>{0, 0, 0, 0}) {
    *pads = caffe_pads;
    return bottom;
  }
  if ((*pads)[0] != 0 || (*pads)[1] != 0 || *ceil_mode) {
    ctx->Refuse(
        "it averages padded windows over their real elements only "
        "(count_include_pad = 0); Caffe's average pooling counts "
        "leading pads.");
  }
  const std::vector<int> shape = ctx->graph()->ShapeOf(bottom);
  const std::vector<int64_t> strides = ctx->Ints("strides", {1, 1});
  for (int i = 0; i < 2; ++i) {
    const int64_t in = shape.at(2 + i) + caffe_pads[i] + caffe_pads[i + 2];
    const int64_t onnx_out = (in + (*pads)[i + 2] - kernel[i]) / strides[i] + 1;
    int64_t caffe_out = (in - kernel[i] + strides[i] - 1) / strides[i] + 1;
    const bool caffe_padded = caffe_pads != std::vector<int64_t>{0, 0, 0, 0};
    if (caffe_padded && (caffe_out - 1) * strides[i] >= shape[2 + i] + caffe_pads[i]) --caffe_out;
    if (onnx_out != caffe_out) {
      ctx->Refuse(
          "its trailing pads give a window count that Caffe's rounding "
          "does not.");
    }
  }
  *pads = caffe_pads;
  *ceil_mode = true;
  return bottom;
}

// Pad (constant zeros, spatial axes only): kept for the AveragePool after it.
void Pad(NodeContext* ctx) {
  if (ctx->String("mode", "constant") != "constant") ctx->Refuse("only constant padding is read.");
  if (ctx->HasInput(2) && ctx->RequireConst(2, "the pad value").floats.at(0) != 0.f) {
    ctx->Refuse("only padding with zeros is read.");
  }
  const std::vector<int64_t> pads =
      ctx->opset() >= 11 ? ctx->RequireConst(1, "pads").ints : ctx->Ints("pads", {});
  if (pads.size() != 8 || pads[0] || pads[1] || pads[4] || pads[5]) {
    ctx->Refuse("only padding of the two spatial axes of a 4-D tensor is read.");
  }
  ctx->graph()->pending_pads[ctx->Output(0)] = {ctx->Blob(0), {pads[2], pads[3], pads[6], pads[7]}};
}
void ConvTranspose(NodeContext* ctx) { ConvLike(ctx, true); }

void Pool(NodeContext* ctx, PoolingParameter::PoolMethod method) {
  if (ctx->node().output_size() > 1) ctx->Refuse("its Indices output has no crema form.");
  const std::vector<int64_t> kernel = ctx->Ints("kernel_shape", {});
  if (kernel.size() != 2) ctx->Refuse("crema pools over two spatial axes only.");
  for (int64_t d : ctx->Ints("dilations", {1, 1})) {
    if (d != 1) ctx->Refuse("dilated pooling has no crema form.");
  }
  const std::string auto_pad = ctx->String("auto_pad", "NOTSET");
  if (auto_pad != "NOTSET" && auto_pad != "VALID") {
    ctx->Refuse("auto_pad " + auto_pad + " is not read; export with explicit pads.");
  }
  std::vector<int64_t> pads = ctx->Ints("pads", {0, 0, 0, 0});
  if (auto_pad == "VALID") pads = {0, 0, 0, 0};
  if (method == PoolingParameter::L2 && ctx->Int("p", 2) != 2)
    ctx->Refuse("crema's LP pooling has p = 2 only.");
  std::string bottom;
  bool ceil_mode = ctx->Int("ceil_mode", 0);
  if (method == PoolingParameter::AVE && ctx->Int("count_include_pad", 0) == 0) {
    bottom = AverageOverRealElements(ctx, kernel, &pads, &ceil_mode);
  } else {
    bottom = ctx->Blob(0);
  }
  LayerParameter* layer = ctx->AddLayer("Pooling", {bottom}, {ctx->Output(0)});
  PoolingParameter* p = layer->mutable_pooling_param();
  p->set_pool(method);
  p->set_kernel_h(kernel[0]);
  p->set_kernel_w(kernel[1]);
  const std::vector<int64_t> strides = ctx->Ints("strides", {1, 1});
  p->set_stride_h(strides[0]);
  p->set_stride_w(strides[1]);
  if (pads[0] == pads[2] && pads[1] == pads[3]) {
    p->set_pad_h(pads[0]);
    p->set_pad_w(pads[1]);
  } else {
    p->set_pad_t(pads[0]);
    p->set_pad_l(pads[1]);
    p->set_pad_b(pads[2]);
    p->set_pad_r(pads[3]);
  }
  p->set_round_mode(ceil_mode ? PoolingParameter::CEIL : PoolingParameter::FLOOR);
}

void MaxPool(NodeContext* ctx) { Pool(ctx, PoolingParameter::MAX); }
void AveragePool(NodeContext* ctx) { Pool(ctx, PoolingParameter::AVE); }
void LpPool(NodeContext* ctx) { Pool(ctx, PoolingParameter::L2); }

OpConverter GlobalPool(PoolingParameter::PoolMethod method) {
  return [method](NodeContext* ctx) {
    if (method == PoolingParameter::L2 && ctx->Int("p", 2) != 2)
      ctx->Refuse("crema's LP pooling has p = 2 only.");
    LayerParameter* layer = ctx->AddLayer("Pooling", {ctx->Blob(0)}, {ctx->Output(0)});
    layer->mutable_pooling_param()->set_pool(method);
    layer->mutable_pooling_param()->set_global_pooling(true);
  };
}

void LRN(NodeContext* ctx) {
  LayerParameter* layer = ctx->AddLayer("LRN", {ctx->Blob(0)}, {ctx->Output(0)});
  LRNParameter* p = layer->mutable_lrn_param();
  p->set_local_size(ctx->Int("size", 5));
  p->set_alpha(ctx->Float("alpha", 1e-4f));
  p->set_beta(ctx->Float("beta", 0.75f));
  p->set_k(ctx->Float("bias", 1.f));
}

// BatchNormalization -> BatchNorm (the statistics) + Scale (gamma, beta).
void BatchNormalization(NodeContext* ctx) {
  if (ctx->node().output_size() > 1 || ctx->Int("training_mode", 0)) {
    ctx->Refuse("it is in training mode; crema imports inference graphs.");
  }
  const Constant& gamma = ctx->RequireConst(1, "the scale");
  const Constant& beta = ctx->RequireConst(2, "the bias");
  const Constant& mean = ctx->RequireConst(3, "the mean");
  const Constant& var = ctx->RequireConst(4, "the variance");
  const std::string normalized = ctx->Output(0) + "/normalized";
  LayerParameter* bn = ctx->AddLayer("BatchNorm", {ctx->Blob(0)}, {normalized});
  bn->mutable_batch_norm_param()->set_use_global_stats(true);
  bn->mutable_batch_norm_param()->set_eps(ctx->Float("epsilon", 1e-5f));
  AddBlob(bn, {mean.count()}, mean.floats);
  AddBlob(bn, {var.count()}, var.floats);
  AddBlob(bn, {1}, {1.f});
  LayerParameter* scale = ctx->AddLayer("Scale", {normalized}, {ctx->Output(0)}, "scale");
  scale->mutable_scale_param()->set_bias_term(true);
  AddBlob(scale, {gamma.count()}, gamma.floats);
  AddBlob(scale, {beta.count()}, beta.floats);
}

OpConverter Simple(const std::string& type) {
  return [type](NodeContext* ctx) { ctx->AddLayer(type, {ctx->Blob(0)}, {ctx->Output(0)}); };
}

void LeakyRelu(NodeContext* ctx) {
  LayerParameter* layer = ctx->AddLayer("ReLU", {ctx->Blob(0)}, {ctx->Output(0)});
  layer->mutable_relu_param()->set_negative_slope(ctx->Float("alpha", 0.01f));
}

void Elu(NodeContext* ctx) {
  LayerParameter* layer = ctx->AddLayer("ELU", {ctx->Blob(0)}, {ctx->Output(0)});
  layer->mutable_elu_param()->set_alpha(ctx->Float("alpha", 1.f));
}

void PRelu(NodeContext* ctx) {
  const Constant& slope = ctx->RequireConst(1, "the slope");
  LayerParameter* layer = ctx->AddLayer("PReLU", {ctx->Blob(0)}, {ctx->Output(0)});
  layer->mutable_prelu_param()->set_channel_shared(slope.count() == 1);
  AddBlob(layer, {slope.count()}, slope.floats);
}

void Clip(NodeContext* ctx) {
  float lo = ctx->Float("min", -FLT_MAX), hi = ctx->Float("max", FLT_MAX);
  if (ctx->opset() >= 11) {
    lo = ctx->HasInput(1) ? ctx->RequireConst(1, "min").floats.at(0) : -FLT_MAX;
    hi = ctx->HasInput(2) ? ctx->RequireConst(2, "max").floats.at(0) : FLT_MAX;
  }
  if (lo == 0.f && hi >= FLT_MAX) {
    ctx->AddLayer("ReLU", {ctx->Blob(0)}, {ctx->Output(0)});
    return;
  }
  LayerParameter* layer = ctx->AddLayer("Clip", {ctx->Blob(0)}, {ctx->Output(0)});
  layer->mutable_clip_param()->set_min(lo);
  layer->mutable_clip_param()->set_max(hi);
}

// Identity, Dropout: the output is the input (a constant stays one).
void Alias(NodeContext* ctx) {
  if (const Constant* c = ctx->Const(0)) {
    ctx->graph()->constants[ctx->Output(0)] = *c;
    return;
  }
  ctx->Alias(0, ctx->Blob(0));
}

}  // namespace

// Arithmetic, shapes and Gemm (import_ops_more.cpp).
void RegisterMoreOps(std::map<std::string, OpConverter>* table);

const std::map<std::string, OpConverter>& OpConverters() {
  static const auto* table = [] {
    auto* t = new std::map<std::string, OpConverter>{
        {"Conv", Conv},
        {"ConvTranspose", ConvTranspose},
        {"MaxPool", MaxPool},
        {"AveragePool", AveragePool},
        {"LpPool", LpPool},
        {"GlobalMaxPool", GlobalPool(PoolingParameter::MAX)},
        {"GlobalAveragePool", GlobalPool(PoolingParameter::AVE)},
        {"GlobalLpPool", GlobalPool(PoolingParameter::L2)},
        {"LRN", LRN},
        {"BatchNormalization", BatchNormalization},
        {"Relu", Simple("ReLU")},
        {"LeakyRelu", LeakyRelu},
        {"PRelu", PRelu},
        {"Elu", Elu},
        {"Sigmoid", Simple("Sigmoid")},
        {"Tanh", Simple("TanH")},
        {"Abs", Simple("AbsVal")},
        {"Softplus", Simple("BNLL")},
        {"Clip", Clip},
        {"Identity", Alias},
        {"Pad", Pad},
        {"Dropout", Alias},
    };
    RegisterMoreOps(t);
    return t;
  }();
  return *table;
}

}  // namespace onnx_import
}  // namespace crema
