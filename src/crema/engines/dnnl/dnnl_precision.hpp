// Reduced precision in the DNNL engine: whether this CPU computes bf16 and
// int8 in hardware, and the converted copies of weights (bf16, or s8 with
// a scale per output channel) that a layer keeps while its weights do not
// change.
#ifndef CREMA_ENGINES_DNNL_DNNL_PRECISION_HPP_
#define CREMA_ENGINES_DNNL_DNNL_PRECISION_HPP_

#include <vector>

#include "crema/proto/crema.pb.h"
#include "dnnl_common.hpp"

namespace crema {
namespace dnnl_engine {

using dt = dnnl::memory::data_type;

// Whether a CPU with oneDNN's `isa` has instructions for `precision`:
// bf16 needs AVX512-BF16 (or AMX), int8 VNNI (AVX512 or AVX).
bool IsaHasPrecision(dnnl::cpu_isa isa, Precision precision);
// The same for this CPU (oneDNN's effective ISA).
bool CpuHasPrecision(Precision precision);

// The precision a layer computes in: its parameter's, or fp32 where the
// CPU lacks it (logged once per precision), or where int8 has no
// calibrated range for the layer (an error: int8 without one is a mistake).
Precision LayerPrecision(const LayerParameter& param);

// The scale that maps a calibrated input range onto u8 (inputs >= 0) or s8.
float InputScale(const LayerCalibration& c);
dt InputType(const LayerCalibration& c);

// A weight tensor converted to `want` (bf16, or s8 scaled per output
// channel), converted again only when the weights' memory changed
// (SyncedMemory::version) or another memory took its place.
class WeightCache {
 public:
  // `channels` output channels; `channel_outer`: each channel's weights are
  // contiguous in plain order (else channel = index % channels).
  // `scale_mask`: oneDNN's mask of the output-channel dimensions of `want`.
  void Init(const dnnl::memory::desc& plain, const dnnl::memory::desc& want, int channels,
            bool channel_outer, int scale_mask);
  // True when the next Get converts.
  bool Stale(const SyncedMemory& mem) const;
  const dnnl::memory& Get(SyncedMemory& mem);
  // s8: per output channel, max |w| (the value 127 stands for).
  const std::vector<float>& channel_max() const { return channel_max_; }

 private:
  void MeasureChannels(const float* w, size_t count);

  dnnl::memory::desc plain_, want_;
  int channels_ = 0;
  bool channel_outer_ = true;
  int scale_mask_ = 0;
  dnnl::memory converted_;
  const SyncedMemory* from_ = nullptr;
  uint64_t version_ = 0;
  std::vector<float> channel_max_;
};

// int8 output scales and bias: dst = os[c] * (sum of u8/s8 products +
// bias[c] / os[c]), oneDNN 2's order (bias before the scale). The bias is
// less the calibration's bias_correction, where it has one per channel.
void Int8Rescale(const LayerCalibration& calibration, const std::vector<float>& channel_max,
                 const float* bias, std::vector<float>* output_scales,
                 std::vector<float>* scaled_bias);

}  // namespace dnnl_engine
}  // namespace crema

#endif  // CREMA_ENGINES_DNNL_DNNL_PRECISION_HPP_
