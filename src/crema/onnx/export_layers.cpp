// One converter per layer type: crema layer -> ONNX nodes. Pooling, whose
// output size needs care, lives in export_pooling.cpp.
#include <google/protobuf/repeated_field.h>

#include <cmath>

#include "onnx_export.hpp"

namespace crema {
namespace onnx_export {
namespace {

using google::protobuf::RepeatedField;

// A 0-D float initializer.
std::string Scalar(LayerContext* ctx, const std::string& what, float value) {
  return ctx->writer->AddFloats(ctx->param.name() + "/" + what, {}, &value);
}

// Caffe's spatial convolution values: the repeated field (one value for all
// axes, or one per axis), overridden by the _h / _w fields when given.
std::vector<int64_t> Spatial(const RepeatedField<uint32_t>& values, bool has_hw, uint32_t h,
                             uint32_t w, int n, int64_t fallback) {
  if (has_hw) return {h, w};
  std::vector<int64_t> out(n, fallback);
  for (int i = 0; i < n && values.size() > 0; ++i) out[i] = values[values.size() == 1 ? 0 : i];
  return out;
}

std::vector<int64_t> BothSides(const std::vector<int64_t>& pads) {
  std::vector<int64_t> out = pads;
  out.insert(out.end(), pads.begin(), pads.end());
  return out;
}

// [C] -> [C, 1, ..., 1]: an ONNX operand that broadcasts along `axis` of a
// tensor of rank `rank` (ONNX broadcasts from the trailing axes).
std::vector<int64_t> BroadcastDims(const std::vector<int>& shape, int axis, int rank) {
  std::vector<int64_t> dims = Dims(shape);
  const int trailing = rank - axis - static_cast<int>(shape.size());
  for (int i = 0; i < trailing; ++i) dims.push_back(1);
  return dims;
}

int ConvLike(LayerContext* ctx, const std::string& op_type) {
  const ConvolutionParameter& p = ctx->param.convolution_param();
  if (p.axis() != 1 && p.axis() != -static_cast<int>(ctx->bottom[0]->num_axes()) + 1) {
    ctx->Refuse("ONNX convolves from axis 1 only; convolution_param.axis is " +
                std::to_string(p.axis()) + ".");
  }
  const Blob& weight = ctx->Weight(0);
  const int n = weight.num_axes() - 2;
  std::vector<std::string> inputs = {
      ctx->inputs[0],
      ctx->writer->AddFloats(ctx->param.name() + "/W", Dims(weight.shape()), weight.cpu_data())};
  if (p.bias_term()) {
    const Blob& bias = ctx->Weight(1);
    inputs.push_back(
        ctx->writer->AddFloats(ctx->param.name() + "/B", {bias.count()}, bias.cpu_data()));
  }
  onnx::NodeProto* node = ctx->Node(op_type, inputs, {ctx->outputs[0]});
  std::vector<int64_t> kernel(weight.shape().begin() + 2, weight.shape().end());
  SetInts(node, "kernel_shape", kernel);
  SetInts(
      node, "strides",
      Spatial(p.stride(), p.has_stride_h() || p.has_stride_w(), p.stride_h(), p.stride_w(), n, 1));
  SetInts(node, "pads",
          BothSides(Spatial(p.pad(), p.has_pad_h() || p.has_pad_w(), p.pad_h(), p.pad_w(), n, 0)));
  SetInts(node, "dilations", Spatial(p.dilation(), false, 0, 0, n, 1));
  SetInt(node, "group", p.group());
  return 0;
}

int Convolution(LayerContext* ctx) { return ConvLike(ctx, "Conv"); }
int Deconvolution(LayerContext* ctx) { return ConvLike(ctx, "ConvTranspose"); }

int Input(LayerContext* ctx) {
  for (size_t i = 0; i < ctx->top.size(); ++i) {
    onnx::ValueInfoProto* info = ctx->writer->graph()->add_input();
    info->set_name(ctx->outputs[i]);
    onnx::TypeProto::Tensor* type = info->mutable_type()->mutable_tensor_type();
    type->set_elem_type(onnx::TensorProto::FLOAT);
    for (int d : ctx->top[i]->shape()) type->mutable_shape()->add_dim()->set_dim_value(d);
  }
  return 0;
}

// Layers that are identities at inference: no node, the tops alias the bottom.
int Identity(LayerContext* ctx) {
  for (auto& out : ctx->outputs) out = ctx->inputs[0];
  return 0;
}

int Silence(LayerContext*) { return 0; }

// WITHIN_CHANNEL: y = x * (1 + alpha * mean of x^2 over the size x size
// window, zero-padded)^-beta, written step by step.
void LRNWithinChannel(LayerContext* ctx) {
  const LRNParameter& p = ctx->param.lrn_param();
  const int64_t size = p.local_size(), pad = (size - 1) / 2;
  const std::string& x = ctx->inputs[0];
  const std::string squares = ctx->Temp("squares"), mean = ctx->Temp("mean");
  const std::string scaled = ctx->Temp("scaled"), shifted = ctx->Temp("shifted");
  const std::string factor = ctx->Temp("factor");
  ctx->Node("Mul", {x, x}, {squares}, "square");
  onnx::NodeProto* pool = ctx->Node("AveragePool", {squares}, {mean}, "mean");
  SetInts(pool, "kernel_shape", {size, size});
  SetInts(pool, "strides", {1, 1});
  SetInts(pool, "pads", {pad, pad, pad, pad});
  SetInt(pool, "count_include_pad", 1);
  ctx->Node("Mul", {mean, Scalar(ctx, "alpha", p.alpha())}, {scaled}, "alpha");
  ctx->Node("Add", {scaled, Scalar(ctx, "one", 1.f)}, {shifted}, "one");
  ctx->Node("Pow", {shifted, Scalar(ctx, "minus_beta", -p.beta())}, {factor}, "power");
  ctx->Node("Mul", {x, factor}, {ctx->outputs[0]});
}

int LRN(LayerContext* ctx) {
  const LRNParameter& p = ctx->param.lrn_param();
  if (p.norm_region() != LRNParameter::ACROSS_CHANNELS) {
    LRNWithinChannel(ctx);
    return 0;
  }
  onnx::NodeProto* node = ctx->Node("LRN", {ctx->inputs[0]}, {ctx->outputs[0]});
  SetFloat(node, "alpha", p.alpha());
  SetFloat(node, "beta", p.beta());
  SetFloat(node, "bias", p.k());
  SetInt(node, "size", p.local_size());
  return 0;
}

// BatchNorm's blobs hold sums scaled by blob 2 (Caffe's moving average).
void NormalizedStats(const LayerContext& ctx, std::vector<float>* mean, std::vector<float>* var) {
  const Blob& m = ctx.Weight(0);
  const Blob& v = ctx.Weight(1);
  const float factor = ctx.Weight(2).cpu_data()[0];
  const float scale = factor == 0 ? 0.f : 1.f / factor;
  for (int c = 0; c < m.count(); ++c) {
    mean->push_back(m.cpu_data()[c] * scale);
    var->push_back(v.cpu_data()[c] * scale);
  }
}

// The Scale layer right after a BatchNorm that reads its top, if folding is
// allowed and it can be folded (one bottom, the channel axis).
Layer* FoldableScale(const LayerContext& ctx) {
  if (!ctx.options->fold_batch_norm_scale || ctx.index + 1 >= ctx.net.num_layers()) return nullptr;
  Layer& next = *ctx.net.layers()[ctx.index + 1];
  const auto& next_bottom = ctx.net.bottom_vecs()[ctx.index + 1];
  if (std::string(next.type()) != "Scale" || next_bottom.size() != 1 ||
      next_bottom[0] != ctx.top[0])
    return nullptr;
  const ScaleParameter& p = next.layer_param().scale_param();
  const bool channel_axis = p.axis() == 1 || p.axis() == 1 - ctx.top[0]->num_axes();
  return channel_axis && p.num_axes() == 1 ? &next : nullptr;
}

int BatchNorm(LayerContext* ctx) {
  if (!ctx->layer.layer_param().batch_norm_param().use_global_stats() && ctx->net.phase() != TEST) {
    ctx->Refuse("it normalizes with batch statistics (use_global_stats is false).");
  }
  std::vector<float> mean, var;
  NormalizedStats(*ctx, &mean, &var);
  const int64_t channels = mean.size();
  std::vector<float> gamma(channels, 1.f), beta(channels, 0.f);
  Layer* scale = FoldableScale(*ctx);
  if (scale) {
    const float* s = scale->blobs()[0]->cpu_data();
    gamma.assign(s, s + channels);
    if (scale->layer_param().scale_param().bias_term()) {
      const float* b = scale->blobs()[1]->cpu_data();
      beta.assign(b, b + channels);
    }
    // The Scale's top is the value that lives on.
    ctx->outputs[0] = (*ctx->top_names)[ctx->index + 1][0];
  }
  const std::string& name = ctx->param.name();
  onnx::NodeProto* node =
      ctx->Node("BatchNormalization",
                {ctx->inputs[0], ctx->writer->AddFloats(name + "/scale", {channels}, gamma),
                 ctx->writer->AddFloats(name + "/B", {channels}, beta),
                 ctx->writer->AddFloats(name + "/mean", {channels}, mean),
                 ctx->writer->AddFloats(name + "/var", {channels}, var)},
                {ctx->outputs[0]});
  SetFloat(node, "epsilon", ctx->param.batch_norm_param().eps());
  return scale ? 1 : 0;
}

// Scale (op "Mul") and Bias ("Add"): the operand is the layer's blob or its
// second bottom, reshaped to broadcast along `axis`.
int Affine(LayerContext* ctx, const std::string& op_type, int axis_param) {
  const int rank = ctx->bottom[0]->num_axes();
  const int axis = ctx->bottom[0]->CanonicalAxisIndex(axis_param);
  std::string operand;
  if (ctx->bottom.size() > 1) {
    const std::vector<int>& shape = ctx->bottom[1]->shape();
    operand = ctx->Temp("operand");
    ctx->Node("Reshape",
              {ctx->inputs[1], ctx->writer->AddInt64s(ctx->param.name() + "/operand_shape",
                                                      BroadcastDims(shape, axis, rank))},
              {operand}, "reshape");
  } else {
    const Blob& blob = ctx->Weight(0);
    operand =
        ctx->writer->AddFloats(ctx->param.name() + "/" + (op_type == "Mul" ? "scale" : "bias"),
                               BroadcastDims(blob.shape(), axis, rank), blob.cpu_data());
  }
  const bool bias = op_type == "Mul" && ctx->param.scale_param().bias_term();
  const std::string product = bias ? ctx->Temp("scaled") : ctx->outputs[0];
  ctx->Node(op_type, {ctx->inputs[0], operand}, {product});
  if (bias) {
    const Blob& b = ctx->Weight(ctx->bottom.size() > 1 ? 0 : 1);
    const std::string bias_value = ctx->writer->AddFloats(
        ctx->param.name() + "/bias", BroadcastDims(b.shape(), axis, rank), b.cpu_data());
    ctx->Node("Add", {product, bias_value}, {ctx->outputs[0]}, "bias");
  }
  return 0;
}

int Scale(LayerContext* ctx) {
  const ScaleParameter& p = ctx->param.scale_param();
  return Affine(ctx, "Mul", p.axis());
}

int Bias(LayerContext* ctx) {
  const BiasParameter& p = ctx->param.bias_param();
  return Affine(ctx, "Add", p.axis());
}


int Eltwise(LayerContext* ctx) {
  const EltwiseParameter& p = ctx->param.eltwise_param();
  std::vector<std::string> terms = ctx->inputs;
  if (p.operation() == EltwiseParameter::MAX) {
    ctx->Node("Max", terms, {ctx->outputs[0]});
    return 0;
  }
  if (p.operation() == EltwiseParameter::SUM && p.coeff_size() > 0) {
    if (p.coeff_size() != static_cast<int>(terms.size())) {
      ctx->Refuse("eltwise_param has " + std::to_string(p.coeff_size()) + " coefficients for " +
                  std::to_string(terms.size()) + " bottoms.");
    }
    for (size_t i = 0; i < terms.size(); ++i) {
      if (p.coeff(i) == 1.f) continue;
      const std::string scaled = ctx->Temp("term" + std::to_string(i));
      ctx->Node("Mul", {terms[i], Scalar(ctx, "coeff" + std::to_string(i), p.coeff(i))}, {scaled},
                "coeff" + std::to_string(i));
      terms[i] = scaled;
    }
  }
  const std::string op = p.operation() == EltwiseParameter::SUM ? "Add" : "Mul";
  // Add and Mul take two operands: a chain for more.
  std::string acc = terms[0];
  for (size_t i = 1; i < terms.size(); ++i) {
    const bool last = i + 1 == terms.size();
    const std::string out = last ? ctx->outputs[0] : ctx->Temp("partial" + std::to_string(i));
    ctx->Node(op, {acc, terms[i]}, {out}, last ? "" : "partial" + std::to_string(i));
    acc = out;
  }
  if (terms.size() == 1) ctx->Node("Identity", {acc}, {ctx->outputs[0]});
  return 0;
}

int Concat(LayerContext* ctx) {
  const ConcatParameter& p = ctx->param.concat_param();
  const int axis = ctx->bottom[0]->CanonicalAxisIndex(
      p.has_axis() || !p.has_concat_dim() ? p.axis() : static_cast<int>(p.concat_dim()));
  SetInt(ctx->Node("Concat", ctx->inputs, {ctx->outputs[0]}), "axis", axis);
  return 0;
}

int Slice(LayerContext* ctx) {
  const SliceParameter& p = ctx->param.slice_param();
  const int axis = ctx->bottom[0]->CanonicalAxisIndex(
      p.has_axis() || !p.has_slice_dim() ? p.axis() : static_cast<int>(p.slice_dim()));
  std::vector<int64_t> sizes;
  for (const Blob* t : ctx->top) sizes.push_back(t->shape(axis));
  onnx::NodeProto* node = ctx->Node(
      "Split", {ctx->inputs[0], ctx->writer->AddInt64s(ctx->param.name() + "/split", sizes)},
      ctx->outputs);
  SetInt(node, "axis", axis);
  return 0;
}

// Shapes are fixed at export: a reshape writes the top's shape.
int ReshapeToTop(LayerContext* ctx) {
  ctx->Node("Reshape",
            {ctx->inputs[0],
             ctx->writer->AddInt64s(ctx->param.name() + "/shape", Dims(ctx->top[0]->shape()))},
            {ctx->outputs[0]});
  return 0;
}

int Flatten(LayerContext* ctx) {
  const FlattenParameter& p = ctx->param.flatten_param();
  const Blob& b = *ctx->bottom[0];
  if (b.CanonicalAxisIndex(p.axis()) == 1 &&
      b.CanonicalAxisIndex(p.end_axis()) == b.num_axes() - 1) {
    SetInt(ctx->Node("Flatten", {ctx->inputs[0]}, {ctx->outputs[0]}), "axis", 1);
    return 0;
  }
  return ReshapeToTop(ctx);
}

int Softmax(LayerContext* ctx) {
  const int axis = ctx->bottom[0]->CanonicalAxisIndex(ctx->param.softmax_param().axis());
  SetInt(ctx->Node("Softmax", {ctx->inputs[0]}, {ctx->outputs[0]}), "axis", axis);
  return 0;
}

int InnerProduct(LayerContext* ctx) {
  const InnerProductParameter& p = ctx->param.inner_product_param();
  const int axis = ctx->bottom[0]->CanonicalAxisIndex(p.axis());
  std::string x = ctx->inputs[0];
  if (axis != 1 || ctx->bottom[0]->num_axes() != 2) {
    const std::string flat = ctx->Temp("flat");
    SetInt(ctx->Node("Flatten", {x}, {flat}, "flatten"), "axis", axis);
    x = flat;
  }
  const Blob& w = ctx->Weight(0);
  std::vector<std::string> in = {
      x, ctx->writer->AddFloats(ctx->param.name() + "/W", Dims(w.shape()), w.cpu_data())};
  if (p.bias_term()) {
    const Blob& b = ctx->Weight(1);
    in.push_back(ctx->writer->AddFloats(ctx->param.name() + "/B", {b.count()}, b.cpu_data()));
  }
  const bool reshape = ctx->top[0]->num_axes() != 2;
  const std::string out = reshape ? ctx->Temp("gemm") : ctx->outputs[0];
  SetInt(ctx->Node("Gemm", in, {out}), "transB", p.transpose() ? 0 : 1);
  if (reshape) {
    ctx->Node(
        "Reshape",
        {out, ctx->writer->AddInt64s(ctx->param.name() + "/shape", Dims(ctx->top[0]->shape()))},
        {ctx->outputs[0]}, "reshape");
  }
  return 0;
}

int ReLU(LayerContext* ctx) {
  const float slope = ctx->param.relu_param().negative_slope();
  if (slope == 0) {
    ctx->Node("Relu", {ctx->inputs[0]}, {ctx->outputs[0]});
  } else {
    SetFloat(ctx->Node("LeakyRelu", {ctx->inputs[0]}, {ctx->outputs[0]}), "alpha", slope);
  }
  return 0;
}

int PReLU(LayerContext* ctx) {
  const Blob& slope = ctx->Weight(0);
  const std::vector<int64_t> dims =
      ctx->param.prelu_param().channel_shared()
          ? std::vector<int64_t>{1}
          : BroadcastDims(slope.shape(), 1, ctx->bottom[0]->num_axes());
  ctx->Node("PRelu",
            {ctx->inputs[0],
             ctx->writer->AddFloats(ctx->param.name() + "/slope", dims, slope.cpu_data())},
            {ctx->outputs[0]});
  return 0;
}

int ELU(LayerContext* ctx) {
  SetFloat(ctx->Node("Elu", {ctx->inputs[0]}, {ctx->outputs[0]}), "alpha",
           ctx->param.elu_param().alpha());
  return 0;
}

// Layers that are one ONNX operator without attributes.
LayerConverter Unary(const std::string& op_type) {
  return [op_type](LayerContext* ctx) {
    ctx->Node(op_type, {ctx->inputs[0]}, {ctx->outputs[0]});
    return 0;
  };
}

int Clip(LayerContext* ctx) {
  const ClipParameter& p = ctx->param.clip_param();
  ctx->Node("Clip", {ctx->inputs[0], Scalar(ctx, "min", p.min()), Scalar(ctx, "max", p.max())},
            {ctx->outputs[0]});
  return 0;
}

// (shift + scale * x) ^ power, one node per step that is not the identity.
int Power(LayerContext* ctx) {
  const PowerParameter& p = ctx->param.power_param();
  std::vector<std::pair<std::string, float>> steps;
  if (p.scale() != 1.f) steps.push_back({"Mul", p.scale()});
  if (p.shift() != 0.f) steps.push_back({"Add", p.shift()});
  if (p.power() != 1.f) steps.push_back({"Pow", p.power()});
  if (steps.empty()) return Identity(ctx);
  std::string x = ctx->inputs[0];
  for (size_t i = 0; i < steps.size(); ++i) {
    const std::string& op = steps[i].first;
    const std::string out = i + 1 == steps.size() ? ctx->outputs[0] : ctx->Temp(op);
    ctx->Node(op, {x, Scalar(ctx, op, steps[i].second)}, {out}, i + 1 == steps.size() ? "" : op);
    x = out;
  }
  return 0;
}

// Crop: a Slice of the axes from `axis` on, to the second bottom's size.
int Crop(LayerContext* ctx) {
  const CropParameter& p = ctx->param.crop_param();
  const Blob& b = *ctx->bottom[0];
  const int axis = b.CanonicalAxisIndex(p.axis());
  std::vector<int64_t> starts, ends, axes;
  for (int i = axis; i < b.num_axes(); ++i) {
    int64_t offset = 0;
    if (p.offset_size() == 1) offset = p.offset(0);
    if (p.offset_size() > 1) offset = p.offset(i - axis);
    starts.push_back(offset);
    ends.push_back(offset + ctx->top[0]->shape(i));
    axes.push_back(i);
  }
  const std::string& name = ctx->param.name();
  ctx->Node(
      "Slice",
      {ctx->inputs[0], ctx->writer->AddInt64s(name + "/starts", starts),
       ctx->writer->AddInt64s(name + "/ends", ends), ctx->writer->AddInt64s(name + "/axes", axes)},
      {ctx->outputs[0]});
  return 0;
}

}  // namespace

const std::map<std::string, LayerConverter>& LayerConverters() {
  static const auto* table = new std::map<std::string, LayerConverter>{
      {"Input", Input},
      {"Convolution", Convolution},
      {"Deconvolution", Deconvolution},
      {"Pooling", ExportPooling},
      {"LRN", LRN},
      {"BatchNorm", BatchNorm},
      {"Scale", Scale},
      {"Bias", Bias},
      {"Eltwise", Eltwise},
      {"Concat", Concat},
      {"Slice", Slice},
      {"Flatten", Flatten},
      {"Reshape", ReshapeToTop},
      {"Softmax", Softmax},
      {"InnerProduct", InnerProduct},
      {"ReLU", ReLU},
      {"PReLU", PReLU},
      {"ELU", ELU},
      {"Sigmoid", Unary("Sigmoid")},
      {"TanH", Unary("Tanh")},
      {"AbsVal", Unary("Abs")},
      {"BNLL", Unary("Softplus")},
      {"Clip", Clip},
      {"Power", Power},
      {"Crop", Crop},
      {"Dropout", Identity},
      {"Split", Identity},
      {"Silence", Silence},
  };
  return *table;
}

}  // namespace onnx_export
}  // namespace crema
