#include "crema/layers/flatten_layer.hpp"

#include "crema/layer_registry.hpp"

namespace crema {

void FlattenLayer::Reshape(const std::vector<Blob*>& bottom,
                           const std::vector<Blob*>& top) {
  if (top[0] == bottom[0]) Fail("cannot work in place.");
  const FlattenParameter& param = layer_param_.flatten_param();
  int start_axis = 0;
  int end_axis = 0;
  try {
    start_axis = bottom[0]->CanonicalAxisIndex(param.axis());
    end_axis = bottom[0]->CanonicalAxisIndex(param.end_axis());
  } catch (const Error& e) {
    Fail("flatten_param: ", e.what());
  }
  if (start_axis > end_axis) {
    Fail("axis ", param.axis(), " comes after end_axis ", param.end_axis(),
         " for the bottom ", bottom[0]->shape_string(), ".");
  }
  std::vector<int> top_shape;
  for (int i = 0; i < start_axis; ++i) top_shape.push_back(bottom[0]->shape(i));
  top_shape.push_back(bottom[0]->count(start_axis, end_axis + 1));
  for (int i = end_axis + 1; i < bottom[0]->num_axes(); ++i) {
    top_shape.push_back(bottom[0]->shape(i));
  }
  top[0]->Reshape(top_shape);
  CHECK_EQ(top[0]->count(), bottom[0]->count());
  // A view of the bottom from setup on, so the net sees the aliasing.
  top[0]->ShareData(*bottom[0]);
}

void FlattenLayer::Forward_cpu(const std::vector<Blob*>& bottom,
                               const std::vector<Blob*>& top) {
  top[0]->ShareData(*bottom[0]);
}

void FlattenLayer::Backward_cpu(const std::vector<Blob*>& top,
                                const std::vector<bool>& propagate_down,
                                const std::vector<Blob*>& bottom) {
  bottom[0]->ShareDiff(*top[0]);
}

CREMA_REGISTER_LAYER("Flatten", FlattenLayer);

}  // namespace crema
