#include "crema/layers/slice_layer.hpp"

#include "crema/layer_registry.hpp"
#include "crema/math/math_functions.hpp"

namespace crema {

void SliceLayer::LayerSetUp(const std::vector<Blob*>& bottom,
                            const std::vector<Blob*>& top) {
  const SliceParameter& param = layer_param_.slice_param();
  if (param.has_axis() && param.has_slice_dim()) {
    Fail("give either slice_param.axis or the legacy slice_dim, not both.");
  }
  if (param.slice_point_size() != 0 &&
      param.slice_point_size() != static_cast<int>(top.size()) - 1) {
    Fail("has ", top.size(), " tops, so it needs ", top.size() - 1,
         " slice_point values (or none for equal parts); got ",
         param.slice_point_size(), ".");
  }
}

void SliceLayer::Reshape(const std::vector<Blob*>& bottom,
                         const std::vector<Blob*>& top) {
  const SliceParameter& param = layer_param_.slice_param();
  const Blob& in = *bottom[0];
  if (param.has_slice_dim()) {
    // The legacy field is unsigned and not counted from the end.
    if (param.slice_dim() >= static_cast<uint32_t>(in.num_axes())) {
      Fail("slice_dim ", param.slice_dim(), " is out of range for the bottom ",
           in.shape_string(), ".");
    }
    axis_ = static_cast<int>(param.slice_dim());
  } else {
    try {
      axis_ = in.CanonicalAxisIndex(param.axis());
    } catch (const Error& e) {
      Fail("slice_param.axis: ", e.what());
    }
  }
  const int axis_size = in.shape(axis_);
  const int num_top = static_cast<int>(top.size());
  std::vector<int> sizes;  // of each top along the axis
  if (param.slice_point_size() != 0) {
    int prev = 0;
    for (int i = 0; i < param.slice_point_size(); ++i) {
      const int point = static_cast<int>(param.slice_point(i));
      if (point <= prev || point >= axis_size) {
        Fail("slice_point values must increase strictly and lie in (0, ",
             axis_size, ") for the bottom ", in.shape_string(), " sliced along axis ",
             axis_, "; slice_point ", i, " is ", param.slice_point(i), ".");
      }
      sizes.push_back(point - prev);
      prev = point;
    }
    sizes.push_back(axis_size - prev);
  } else {
    if (axis_size % num_top != 0) {
      Fail("cannot cut axis ", axis_, " of the bottom ", in.shape_string(),
           " into ", num_top, " equal parts; give slice_point values.");
    }
    sizes.assign(num_top, axis_size / num_top);
  }
  std::vector<int> top_shape = in.shape();
  for (int i = 0; i < num_top; ++i) {
    top_shape[axis_] = sizes[i];
    top[i]->Reshape(top_shape);
  }
  num_slices_ = in.count(0, axis_);
  inner_size_ = in.count(axis_ + 1);
  // One top: the top is the bottom.
  if (num_top == 1) {
    top[0]->ShareData(in);
    top[0]->ShareDiff(in);
  }
}

void SliceLayer::Forward_cpu(const std::vector<Blob*>& bottom,
                             const std::vector<Blob*>& top) {
  if (top.size() == 1) return;
  const float* bottom_data = bottom[0]->cpu_data();
  const int bottom_axis = bottom[0]->shape(axis_);
  int offset = 0;  // along the slice axis
  for (Blob* t : top) {
    float* top_data = t->mutable_cpu_data();
    const int top_axis = t->shape(axis_);
    const int chunk = top_axis * inner_size_;
    for (int n = 0; n < num_slices_; ++n) {
      cpu_copy(chunk, bottom_data + (n * bottom_axis + offset) * inner_size_,
               top_data + n * chunk);
    }
    offset += top_axis;
  }
}

void SliceLayer::Backward_cpu(const std::vector<Blob*>& top,
                              const std::vector<bool>& propagate_down,
                              const std::vector<Blob*>& bottom) {
  if (!propagate_down[0] || top.size() == 1) return;
  float* bottom_diff = bottom[0]->mutable_cpu_diff();
  const int bottom_axis = bottom[0]->shape(axis_);
  int offset = 0;
  for (Blob* t : top) {
    const float* top_diff = t->cpu_diff();
    const int top_axis = t->shape(axis_);
    const int chunk = top_axis * inner_size_;
    for (int n = 0; n < num_slices_; ++n) {
      cpu_copy(chunk, top_diff + n * chunk,
               bottom_diff + (n * bottom_axis + offset) * inner_size_);
    }
    offset += top_axis;
  }
}

CREMA_REGISTER_LAYER("Slice", SliceLayer);

}  // namespace crema
