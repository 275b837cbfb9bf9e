#include "dnnl_precision.hpp"

#include <algorithm>
#include <cmath>
#include <mutex>

#include "crema/common.hpp"
#include "crema/precision.hpp"

namespace crema {
namespace dnnl_engine {

bool IsaHasPrecision(dnnl::cpu_isa isa, Precision precision) {
  using isa_t = dnnl::cpu_isa;
  switch (precision) {
    case BF16:
      return isa == isa_t::avx512_core_bf16 || isa == isa_t::avx512_core_amx;
    case INT8:
      return isa == isa_t::avx512_core_vnni || isa == isa_t::avx512_core_bf16 ||
             isa == isa_t::avx512_core_amx || isa == isa_t::avx2_vnni;
    default:
      return true;
  }
}

bool CpuHasPrecision(Precision precision) {
  return IsaHasPrecision(dnnl::get_effective_cpu_isa(), precision);
}

Precision LayerPrecision(const LayerParameter& param) {
  const Precision want = param.precision();
  if (want == FP32) return FP32;
  if (!CpuHasPrecision(want)) {
    static std::once_flag logged[3];
    std::call_once(logged[want], [want] {
      LOG(WARNING) << "precision " << PrecisionName(want)
                   << " not supported by this CPU; running fp32.";
    });
    return FP32;
  }
  if (want == INT8 && !(param.has_calibration() && param.calibration().input_max() > 0)) {
    Throw("Layer '", param.name(), "' (", param.type(), ") runs int8 but has no calibrated "
          "input range; make a calibration file with tools/calibrate and pass it "
          "(--calibration), or run it in bf16/fp32 (precision: FP32 in its parameters).");
  }
  return want;
}

float InputScale(const LayerCalibration& c) {
  return (c.input_signed() ? 127.f : 255.f) / c.input_max();
}

dt InputType(const LayerCalibration& c) { return c.input_signed() ? dt::s8 : dt::u8; }

void WeightCache::Init(const dnnl::memory::desc& plain, const dnnl::memory::desc& want,
                       int channels, bool channel_outer, int scale_mask) {
  plain_ = plain;
  want_ = want;
  channels_ = channels;
  channel_outer_ = channel_outer;
  scale_mask_ = scale_mask;
  converted_ = dnnl::memory(want_, CpuEngine());
  from_ = nullptr;
}

bool WeightCache::Stale(const SyncedMemory& mem) const {
  return from_ != &mem || version_ != mem.version();
}

void WeightCache::MeasureChannels(const float* w, size_t count) {
  channel_max_.assign(channels_, 0.f);
  const size_t per = count / channels_;
  for (size_t i = 0; i < count; ++i) {
    const size_t c = channel_outer_ ? i / per : i % channels_;
    channel_max_[c] = std::max(channel_max_[c], std::fabs(w[i]));
  }
  for (float& m : channel_max_) {
    if (m == 0.f) m = 1.f;  // an all-zero channel: any scale will do
  }
}

const dnnl::memory& WeightCache::Get(SyncedMemory& mem) {
  if (!Stale(mem)) return converted_;
  if (mem.layout()) mem.ToPlain();  // an fp32 layer sharing them adopted its layout
  const float* w = static_cast<const float*>(mem.cpu_data());
  dnnl::primitive_attr attr;
  if (want_.data_type() == dt::s8) {
    MeasureChannels(w, plain_.get_size() / sizeof(float));
    std::vector<float> scales(channels_);
    for (int c = 0; c < channels_; ++c) scales[c] = 127.f / channel_max_[c];
    attr.set_output_scales(scale_mask_, scales);
  }
  dnnl::reorder::primitive_desc pd(CpuEngine(), plain_, CpuEngine(), want_, attr);
  dnnl::memory source = Wrap(plain_, w);
  dnnl::reorder(pd).execute(CpuStream(), source, converted_);
  from_ = &mem;
  version_ = mem.version();
  return converted_;
}

void Int8Rescale(const LayerCalibration& calibration, const std::vector<float>& channel_max,
                 const float* bias, std::vector<float>* output_scales,
                 std::vector<float>* scaled_bias) {
  const float input_scale = InputScale(calibration);
  const size_t n = channel_max.size();
  const bool corrected = bias && static_cast<size_t>(calibration.bias_correction_size()) == n;
  output_scales->resize(n);
  scaled_bias->assign(n, 0.f);
  for (size_t c = 0; c < n; ++c) {
    (*output_scales)[c] = channel_max[c] / (127.f * input_scale);
    if (!bias) continue;
    const float b = corrected ? bias[c] - calibration.bias_correction(static_cast<int>(c)) : bias[c];
    (*scaled_bias)[c] = b / (*output_scales)[c];
  }
}

}  // namespace dnnl_engine
}  // namespace crema
