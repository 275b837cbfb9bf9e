#include "crema/layers/batch_reindex_layer.hpp"

#include "crema/layer_registry.hpp"
#include "crema/math/math_functions.hpp"

namespace crema {

void BatchReindexLayer::Reshape(const std::vector<Blob*>& bottom,
                                const std::vector<Blob*>& top) {
  if (bottom[1]->num_axes() != 1) {
    Fail("the index blob (bottom[1]) must be 1-D; got ",
         bottom[1]->shape_string(), ".");
  }
  if (bottom[0]->num_axes() < 1) {
    Fail("the data blob (bottom[0]) needs a first axis to index; got ",
         bottom[0]->shape_string(), ".");
  }
  std::vector<int> shape = bottom[0]->shape();
  shape[0] = bottom[1]->shape(0);
  top[0]->Reshape(shape);
}

int BatchReindexLayer::IndexAt(const std::vector<Blob*>& bottom, int i) const {
  const float value = bottom[1]->cpu_data()[i];
  const int index = static_cast<int>(value);
  const int num = bottom[0]->shape(0);
  if (static_cast<float>(index) != value || index < 0 || index >= num) {
    Fail("index ", value, " at position ", i, " of bottom[1] is out of range: "
         "the data blob ", bottom[0]->shape_string(), " has items 0 to ",
         num - 1, ".");
  }
  return index;
}

void BatchReindexLayer::Forward_cpu(const std::vector<Blob*>& bottom,
                                    const std::vector<Blob*>& top) {
  const int inner = bottom[0]->count(1);
  const float* x = bottom[0]->cpu_data();
  float* y = top[0]->mutable_cpu_data();
  for (int i = 0; i < top[0]->shape(0); ++i) {
    cpu_copy(inner, x + IndexAt(bottom, i) * inner, y + i * inner);
  }
}

void BatchReindexLayer::Backward_cpu(const std::vector<Blob*>& top,
                                     const std::vector<bool>& propagate_down,
                                     const std::vector<Blob*>& bottom) {
  if (propagate_down[1]) {
    Fail("cannot backpropagate to the index blob (bottom[1]).");
  }
  if (!propagate_down[0]) return;
  const int inner = bottom[0]->count(1);
  const float* top_diff = top[0]->cpu_diff();
  float* bottom_diff = bottom[0]->mutable_cpu_diff();
  // Items never picked get zero; items picked more than once get the sum.
  cpu_zero(bottom[0]->count(), bottom_diff);
  for (int i = 0; i < top[0]->shape(0); ++i) {
    cpu_axpy(inner, 1.f, top_diff + i * inner, bottom_diff + IndexAt(bottom, i) * inner);
  }
}

CREMA_REGISTER_LAYER("BatchReindex", BatchReindexLayer);

}  // namespace crema
