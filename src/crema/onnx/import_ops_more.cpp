// ONNX operators for arithmetic, shapes and matrix products -> crema layers.
#include <algorithm>
#include <climits>

#include "onnx_import.hpp"

namespace crema {
namespace onnx_import {
namespace {

// Two computed operands: one Eltwise layer.
void Eltwise(NodeContext* ctx, EltwiseParameter::EltwiseOp op, const std::vector<float>& coeff) {
  std::vector<std::string> bottoms;
  for (int i = 0; i < ctx->num_inputs(); ++i) bottoms.push_back(ctx->Blob(i));
  LayerParameter* layer = ctx->AddLayer("Eltwise", bottoms, {ctx->Output(0)});
  layer->mutable_eltwise_param()->set_operation(op);
  for (float c : coeff) layer->mutable_eltwise_param()->add_coeff(c);
}

// A computed operand and a constant one: Power for a scalar, else Scale
// (multiplying) or Bias (adding) along the axes the constant covers.
void WithConstant(NodeContext* ctx, int data, std::vector<float> values,
                  const std::vector<int64_t>& dims, bool multiply) {
  if (values.size() == 1) {
    LayerParameter* layer = ctx->AddLayer("Power", {ctx->Blob(data)}, {ctx->Output(0)});
    if (multiply) layer->mutable_power_param()->set_scale(values[0]);
    if (!multiply) layer->mutable_power_param()->set_shift(values[0]);
    return;
  }
  // ONNX broadcasts from the last axis: leading 1s do not matter, trailing
  // 1s spread the constant over those axes.
  std::vector<int64_t> d = dims;
  while (!d.empty() && d.front() == 1) d.erase(d.begin());
  const int axis = -static_cast<int>(d.size());
  while (!d.empty() && d.back() == 1) d.pop_back();
  LayerParameter* layer =
      ctx->AddLayer(multiply ? "Scale" : "Bias", {ctx->Blob(data)}, {ctx->Output(0)});
  if (multiply) {
    layer->mutable_scale_param()->set_axis(axis);
    layer->mutable_scale_param()->set_num_axes(static_cast<int>(d.size()));
  } else {
    layer->mutable_bias_param()->set_axis(axis);
    layer->mutable_bias_param()->set_num_axes(static_cast<int>(d.size()));
  }
  AddBlob(layer, d, values);
}

OpConverter Arithmetic(char op) {
  return [op](NodeContext* ctx) {
    const Constant* a = ctx->Const(0);
    const Constant* b = ctx->Const(1);
    if (a && b) ctx->Refuse("both operands are constants; fold them before importing.");
    if (!a && !b) {
      if (op == '/') ctx->Refuse("crema has no layer dividing one computed tensor by another.");
      if (op == '*') return Eltwise(ctx, EltwiseParameter::PROD, {});
      return Eltwise(ctx, EltwiseParameter::SUM,
                     op == '-' ? std::vector<float>{1, -1} : std::vector<float>{});
    }
    if (a && (op == '-' || op == '/')) {
      ctx->Refuse("a constant minus or divided by computed data has no crema layer.");
    }
    std::vector<float> values = (a ? a : b)->floats;
    for (float& v : values) {
      if (op == '-') v = -v;
      if (op == '/') v = 1.f / v;
    }
    WithConstant(ctx, a ? 1 : 0, values, (a ? a : b)->dims, op == '*' || op == '/');
  };
}

void Sum(NodeContext* ctx) { Eltwise(ctx, EltwiseParameter::SUM, {}); }
void Max(NodeContext* ctx) { Eltwise(ctx, EltwiseParameter::MAX, {}); }

void Pow(NodeContext* ctx) {
  const Constant& e = ctx->RequireConst(1, "the exponent");
  if (e.count() != 1) ctx->Refuse("crema's Power layer takes one exponent for all elements.");
  LayerParameter* layer = ctx->AddLayer("Power", {ctx->Blob(0)}, {ctx->Output(0)});
  layer->mutable_power_param()->set_power(e.floats[0]);
}

void Concat(NodeContext* ctx) {
  std::vector<std::string> bottoms;
  for (int i = 0; i < ctx->num_inputs(); ++i) bottoms.push_back(ctx->Blob(i));
  LayerParameter* layer = ctx->AddLayer("Concat", bottoms, {ctx->Output(0)});
  layer->mutable_concat_param()->set_axis(ctx->Int("axis", 1));
}

void Split(NodeContext* ctx) {
  std::vector<int64_t> sizes = ctx->Ints("split", {});
  if (ctx->opset() >= 13 && ctx->HasInput(1)) sizes = ctx->RequireConst(1, "split").ints;
  std::vector<std::string> tops(ctx->node().output().begin(), ctx->node().output().end());
  LayerParameter* layer = ctx->AddLayer("Slice", {ctx->Blob(0)}, tops);
  layer->mutable_slice_param()->set_axis(ctx->Int("axis", 0));
  int64_t point = 0;
  for (size_t i = 0; i + 1 < sizes.size(); ++i) {
    point += sizes[i];
    layer->mutable_slice_param()->add_slice_point(point);
  }
}

void ReshapeTo(NodeContext* ctx, const std::vector<int64_t>& dims) {
  LayerParameter* layer = ctx->AddLayer("Reshape", {ctx->Blob(0)}, {ctx->Output(0)});
  for (int64_t d : dims) layer->mutable_reshape_param()->mutable_shape()->add_dim(d);
}

void Flatten(NodeContext* ctx) {
  int64_t axis = ctx->Int("axis", 1);
  if (axis == 1) {
    ctx->AddLayer("Flatten", {ctx->Blob(0)}, {ctx->Output(0)});
    return;
  }
  const std::vector<int> shape = ctx->graph()->ShapeOf(ctx->Blob(0));
  if (axis < 0) axis += shape.size();
  int64_t inner = 1;
  for (size_t i = axis; i < shape.size(); ++i) inner *= shape[i];
  ReshapeTo(ctx, {-1, inner});
  if (axis == 0)
    ctx->graph()->net->mutable_layer()->rbegin()->mutable_reshape_param()->mutable_shape()->set_dim(
        0, 1);
}

void Reshape(NodeContext* ctx) {
  const std::vector<int64_t> dims = ctx->RequireConst(1, "the shape").ints;
  if (ctx->Int("allowzero", 0) && std::count(dims.begin(), dims.end(), 0)) {
    ctx->Refuse(
        "allowzero is set with a 0 in the shape; Caffe's 0 copies the "
        "input's size.");
  }
  ReshapeTo(ctx, dims);
}

void Softmax(NodeContext* ctx) {
  int64_t axis = ctx->Int("axis", ctx->opset() >= 13 ? -1 : 1);
  if (ctx->opset() < 13) {
    // Before opset 13 Softmax flattened the axes from `axis` on.
    const int rank = static_cast<int>(ctx->graph()->ShapeOf(ctx->Blob(0)).size());
    if ((axis + rank) % rank != rank - 1) {
      ctx->Refuse(
          "before opset 13 Softmax normalizes over all axes from "
          "`axis` on, which crema "
          "does only for the last axis.");
    }
  }
  LayerParameter* layer = ctx->AddLayer("Softmax", {ctx->Blob(0)}, {ctx->Output(0)});
  layer->mutable_softmax_param()->set_axis(axis);
}

// A * B (+ C) with constant B: InnerProduct over the last axis of A.
void MatrixProduct(NodeContext* ctx, bool gemm) {
  if (gemm && ctx->Int("transA", 0))
    ctx->Refuse("transA is set; crema's InnerProduct needs A as it is.");
  const Constant& w = ctx->RequireConst(1, "the weight matrix B");
  if (w.dims.size() != 2) ctx->Refuse("the weight matrix B is not 2-D.");
  const bool trans_b = gemm && ctx->Int("transB", 0);
  const int64_t outputs = trans_b ? w.dims[0] : w.dims[1];
  LayerParameter* layer = ctx->AddLayer("InnerProduct", {ctx->Blob(0)}, {ctx->Output(0)});
  InnerProductParameter* p = layer->mutable_inner_product_param();
  p->set_num_output(outputs);
  p->set_transpose(!trans_b);  // Caffe's weight is (outputs x inputs) unless transposed
  p->set_axis(-1);
  p->set_bias_term(gemm && ctx->HasInput(2));
  std::vector<float> weights = w.floats;
  const float alpha = gemm ? ctx->Float("alpha", 1.f) : 1.f;
  for (float& v : weights) v *= alpha;
  AddBlob(layer, w.dims, weights);
  if (p->bias_term()) {
    const Constant& c = ctx->RequireConst(2, "the bias C");
    if (c.count() != outputs && c.count() != 1)
      ctx->Refuse("the bias C is not one value per output.");
    std::vector<float> bias(outputs, c.floats[0]);
    if (c.count() == outputs) bias = c.floats;
    for (float& v : bias) v *= ctx->Float("beta", 1.f);
    AddBlob(layer, {outputs}, bias);
  }
}

void Gemm(NodeContext* ctx) { MatrixProduct(ctx, true); }
void MatMul(NodeContext* ctx) { MatrixProduct(ctx, false); }

// Slice with constant bounds and unit steps: one Caffe Slice per axis, the
// parts outside the bounds silenced.
void Slice(NodeContext* ctx) {
  const std::vector<int64_t> starts = ctx->RequireConst(1, "starts").ints;
  const std::vector<int64_t> ends = ctx->RequireConst(2, "ends").ints;
  std::vector<int64_t> axes(starts.size());
  for (size_t i = 0; i < axes.size(); ++i) axes[i] = i;
  if (ctx->HasInput(3)) axes = ctx->RequireConst(3, "axes").ints;
  if (ctx->HasInput(4)) {
    for (int64_t s : ctx->RequireConst(4, "steps").ints) {
      if (s != 1) ctx->Refuse("its steps are not 1; Caffe's Slice takes contiguous parts.");
    }
  }
  std::string x = ctx->Blob(0);
  for (size_t i = 0; i < axes.size(); ++i) {
    const std::vector<int> shape = ctx->graph()->ShapeOf(x);
    const int axis = static_cast<int>(axes[i] < 0 ? axes[i] + shape.size() : axes[i]);
    const int64_t dim = shape.at(axis);
    const int64_t start = std::clamp<int64_t>(starts[i] < 0 ? starts[i] + dim : starts[i], 0, dim);
    const int64_t end = std::clamp<int64_t>(ends[i] < 0 ? ends[i] + dim : ends[i], 0, dim);
    if (end <= start) ctx->Refuse("it selects nothing along an axis.");
    if (start == 0 && end == dim) continue;
    const std::string part =
        i + 1 == axes.size() ? ctx->Output(0) : ctx->Output(0) + "/axis" + std::to_string(axis);
    std::vector<std::string> tops, discarded;
    if (start > 0) discarded.push_back(part + "/before");
    tops = discarded;
    tops.push_back(part);
    if (end < dim) {
      tops.push_back(part + "/after");
      discarded.push_back(part + "/after");
    }
    LayerParameter* layer = ctx->AddLayer("Slice", {x}, tops, "axis" + std::to_string(axis));
    layer->mutable_slice_param()->set_axis(axis);
    if (start > 0) layer->mutable_slice_param()->add_slice_point(start);
    if (end < dim) layer->mutable_slice_param()->add_slice_point(end);
    ctx->AddLayer("Silence", discarded, {}, "silence" + std::to_string(axis));
    x = part;
  }
  if (x != ctx->Output(0)) ctx->Alias(0, x);
}

}  // namespace

void RegisterMoreOps(std::map<std::string, OpConverter>* table) {
  table->insert({
      {"Add", Arithmetic('+')},
      {"Sub", Arithmetic('-')},
      {"Mul", Arithmetic('*')},
      {"Div", Arithmetic('/')},
      {"Sum", Sum},
      {"Max", Max},
      {"Pow", Pow},
      {"Concat", Concat},
      {"Split", Split},
      {"Flatten", Flatten},
      {"Reshape", Reshape},
      {"Softmax", Softmax},
      {"Gemm", Gemm},
      {"MatMul", MatMul},
      {"Slice", Slice},
  });
}

}  // namespace onnx_import
}  // namespace crema
