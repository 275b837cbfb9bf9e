// Pooling -> MaxPool / AveragePool / LpPool with explicit pads.
//
// Caffe rounds the output size up (or down, with round_mode FLOOR) and
// drops a last window that would start in the trailing pad. crema knows the
// resulting size (the top's shape), so the export always writes
// ceil_mode = 0 and sizes the trailing pad to give exactly that many
// windows: the windows are then Caffe's, whichever rule produced them.
// Average pooling also has to divide by what Caffe divides by: the window
// clipped to the input plus Caffe's own pads.
#include "onnx_export.hpp"

namespace crema {
namespace onnx_export {
namespace {

struct PoolAxis {
  int64_t in, out, kernel, stride, pad_begin, pad_end;
  // The trailing pad ONNX needs for `out` windows (floor rounding).
  int64_t onnx_pad_end() const {
    return std::max<int64_t>(0, (out - 1) * stride + kernel - in - pad_begin);
  }
};

std::vector<PoolAxis> PoolAxes(const LayerContext& ctx) {
  const PoolingParameter& p = ctx.param.pooling_param();
  const Blob& b = *ctx.bottom[0];
  const Blob& t = *ctx.top[0];
  const int64_t kh = p.has_kernel_size() ? p.kernel_size() : p.kernel_h();
  const int64_t kw = p.has_kernel_size() ? p.kernel_size() : p.kernel_w();
  const int64_t sh = p.has_stride_h() ? p.stride_h() : p.stride();
  const int64_t sw = p.has_stride_w() ? p.stride_w() : p.stride();
  const int64_t ph = p.has_pad_h() ? p.pad_h() : p.pad();
  const int64_t pw = p.has_pad_w() ? p.pad_w() : p.pad();
  const int64_t pt = p.has_pad_t() ? p.pad_t() : ph, pb = p.has_pad_b() ? p.pad_b() : ph;
  const int64_t pl = p.has_pad_l() ? p.pad_l() : pw, pr = p.has_pad_r() ? p.pad_r() : pw;
  PoolAxis h{b.shape(2), t.shape(2), kh, sh, pt, pb};
  PoolAxis w{b.shape(3), t.shape(3), kw, sw, pl, pr};
  return {h, w};
}

void SetWindow(onnx::NodeProto* node, const std::vector<PoolAxis>& axes,
               const std::vector<int64_t>& pad_begin, const std::vector<int64_t>& pad_end) {
  std::vector<int64_t> kernel, strides, pads = pad_begin;
  for (const PoolAxis& a : axes) {
    kernel.push_back(a.kernel);
    strides.push_back(a.stride);
  }
  pads.insert(pads.end(), pad_end.begin(), pad_end.end());
  SetInts(node, "kernel_shape", kernel);
  SetInts(node, "strides", strides);
  SetInts(node, "pads", pads);
}

int GlobalPooling(LayerContext* ctx, PoolingParameter::PoolMethod method) {
  const char* op = method == PoolingParameter::MAX   ? "GlobalMaxPool"
                   : method == PoolingParameter::AVE ? "GlobalAveragePool"
                                                     : "GlobalLpPool";
  onnx::NodeProto* node = ctx->Node(op, {ctx->inputs[0]}, {ctx->outputs[0]});
  if (method == PoolingParameter::L2) SetInt(node, "p", 2);
  return 0;
}

// Caffe divides a window by its extent clipped to [-pad_begin, in + pad_end).
// ONNX (count_include_pad = 1) divides by the extent within its pads, and
// (count_include_pad = 0) by the count of real elements.
int AveragePooling(LayerContext* ctx, const std::vector<PoolAxis>& axes) {
  bool caffe_pads_cover = true, caffe_pads_zero = true;
  std::vector<int64_t> begin, end, caffe_begin, caffe_end, extra_end;
  for (const PoolAxis& a : axes) {
    caffe_pads_cover = caffe_pads_cover && a.pad_end >= a.onnx_pad_end();
    caffe_pads_zero = caffe_pads_zero && a.pad_begin == 0 && a.pad_end == 0;
    begin.push_back(a.pad_begin);
    end.push_back(a.onnx_pad_end());
    caffe_begin.push_back(a.pad_begin);
    caffe_end.push_back(a.pad_end);
    extra_end.push_back(std::max<int64_t>(0, a.onnx_pad_end() - a.pad_end));
  }
  std::string x = ctx->inputs[0];
  int count_include_pad = 1;
  if (!caffe_pads_cover && caffe_pads_zero) {
    count_include_pad = 0;  // only real elements, as Caffe without pads
  } else if (!caffe_pads_cover) {
    // Pad with Caffe's pads first: the divisor then counts them but not the
    // extra trailing windows' overhang.
    std::vector<int64_t> pads = {0, 0};
    pads.insert(pads.end(), caffe_begin.begin(), caffe_begin.end());
    pads.push_back(0);
    pads.push_back(0);
    pads.insert(pads.end(), caffe_end.begin(), caffe_end.end());
    const std::string padded = ctx->Temp("padded");
    ctx->Node("Pad", {x, ctx->writer->AddInt64s(ctx->param.name() + "/pads", pads)}, {padded},
              "pad");
    x = padded;
    begin.assign(axes.size(), 0);
    end = extra_end;
    count_include_pad = 0;
  }
  onnx::NodeProto* node = ctx->Node("AveragePool", {x}, {ctx->outputs[0]});
  SetWindow(node, axes, begin, end);
  SetInt(node, "count_include_pad", count_include_pad);
  return 0;
}

}  // namespace

int ExportPooling(LayerContext* ctx) {
  const PoolingParameter& p = ctx->param.pooling_param();
  if (ctx->top.size() > 1) {
    ctx->Refuse(
        "its second top (the max-pooling mask, indexed per plane) has "
        "no ONNX form.");
  }
  if (p.pool() == PoolingParameter::STOCHASTIC) {
    ctx->Refuse("stochastic pooling has no ONNX operator.");
  }
  if (ctx->bottom[0]->num_axes() != 4) ctx->Refuse("the bottom is not 4-D.");
  if (p.global_pooling()) return GlobalPooling(ctx, p.pool());
  const std::vector<PoolAxis> axes = PoolAxes(*ctx);
  if (p.pool() == PoolingParameter::AVE) return AveragePooling(ctx, axes);
  std::vector<int64_t> begin, end;
  for (const PoolAxis& a : axes) {
    begin.push_back(a.pad_begin);
    end.push_back(a.onnx_pad_end());
  }
  // Padding is -inf for MaxPool and 0 (adding nothing) for LpPool: the
  // windows alone decide, and they are Caffe's.
  const bool max = p.pool() == PoolingParameter::MAX;
  onnx::NodeProto* node =
      ctx->Node(max ? "MaxPool" : "LpPool", {ctx->inputs[0]}, {ctx->outputs[0]});
  SetWindow(node, axes, begin, end);
  if (!max) SetInt(node, "p", 2);
  return 0;
}

}  // namespace onnx_export
}  // namespace crema
