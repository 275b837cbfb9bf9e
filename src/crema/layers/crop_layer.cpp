#include "crema/layers/crop_layer.hpp"

#include "crema/layer_registry.hpp"
#include "crema/math/math_functions.hpp"

namespace crema {

void CropLayer::Reshape(const std::vector<Blob*>& bottom,
                        const std::vector<Blob*>& top) {
  const CropParameter& p = layer_param_.crop_param();
  const int num_axes = bottom[0]->num_axes();
  if (bottom[1]->num_axes() != num_axes) {
    Fail("the blob to crop ", bottom[0]->shape_string(),
         " and the reference blob ", bottom[1]->shape_string(),
         " must have the same number of axes.");
  }
  int start_axis = 0;
  try {
    start_axis = bottom[0]->CanonicalAxisIndex(p.axis());
  } catch (const Error& e) {
    Fail("crop_param.axis: ", e.what());
  }
  if (p.offset_size() > 1 && start_axis + p.offset_size() != num_axes) {
    Fail("crop_param gives ", p.offset_size(), " offsets but cropping ",
         bottom[0]->shape_string(), " from axis ", start_axis, " needs ",
         num_axes - start_axis, " (or one for all axes).");
  }
  std::vector<int> new_shape = bottom[0]->shape();
  offsets_.assign(num_axes, 0);
  for (int i = start_axis; i < num_axes; ++i) {
    const int offset = p.offset_size() == 0   ? 0
                       : p.offset_size() == 1 ? static_cast<int>(p.offset(0))
                                              : static_cast<int>(p.offset(i - start_axis));
    if (bottom[0]->shape(i) - offset < bottom[1]->shape(i)) {
      Fail("cannot crop ", bottom[0]->shape_string(), " to ",
           bottom[1]->shape_string(), " from axis ", start_axis, ": along axis ",
           i, " a window of ", bottom[1]->shape(i), " at offset ", offset,
           " does not fit in ", bottom[0]->shape(i), ".");
    }
    new_shape[i] = bottom[1]->shape(i);
    offsets_[i] = offset;
  }
  top[0]->Reshape(new_shape);
}

void CropLayer::CopyWindow(const Blob& big, const Blob& small, bool to_small,
                           const float* from, float* to) const {
  const int num_axes = big.num_axes();
  if (small.count() == 0) return;
  if (num_axes == 0) {  // a scalar: nothing to crop
    *to = *from;
    return;
  }
  // Walk the window one row (last axis, contiguous in both blobs) at a time.
  const int row = small.shape(num_axes - 1);
  const int rows = small.count() / row;
  std::vector<int> index(num_axes, 0);  // position in the window
  for (int r = 0; r < rows; ++r) {
    int big_offset = 0;
    for (int d = 0; d < num_axes; ++d) {
      big_offset = big_offset * big.shape(d) + index[d] + offsets_[d];
    }
    const int small_offset = r * row;
    if (to_small) {
      cpu_copy(row, from + big_offset, to + small_offset);
    } else {
      cpu_copy(row, from + small_offset, to + big_offset);
    }
    // Advance the index over every axis but the last.
    for (int d = num_axes - 2; d >= 0; --d) {
      if (++index[d] < small.shape(d)) break;
      index[d] = 0;
    }
  }
}

void CropLayer::Forward_cpu(const std::vector<Blob*>& bottom,
                            const std::vector<Blob*>& top) {
  CopyWindow(*bottom[0], *top[0], true, bottom[0]->cpu_data(),
             top[0]->mutable_cpu_data());
}

void CropLayer::Backward_cpu(const std::vector<Blob*>& top,
                             const std::vector<bool>& propagate_down,
                             const std::vector<Blob*>& bottom) {
  if (!propagate_down[0]) return;
  // Outside the window the input did not reach the output.
  cpu_zero(bottom[0]->count(), bottom[0]->mutable_cpu_diff());
  CopyWindow(*bottom[0], *top[0], false, top[0]->cpu_diff(),
             bottom[0]->mutable_cpu_diff());
}

CREMA_REGISTER_LAYER("Crop", CropLayer);

}  // namespace crema
