#include "crema/layers/embed_layer.hpp"

#include <cmath>

#include "crema/filler.hpp"
#include "crema/layer_registry.hpp"
#include "crema/math/math_functions.hpp"

namespace crema {

void EmbedLayer::LayerSetUp(const std::vector<Blob*>& bottom,
                            const std::vector<Blob*>& top) {
  const EmbedParameter& p = layer_param_.embed_param();
  num_output_ = static_cast<int>(p.num_output());
  input_dim_ = static_cast<int>(p.input_dim());
  bias_term_ = p.bias_term();
  if (num_output_ <= 0) Fail("embed_param.num_output must be positive.");
  if (input_dim_ <= 0) Fail("embed_param.input_dim must be positive.");
  const std::vector<int> weight_shape{input_dim_, num_output_};
  const std::vector<int> bias_shape{num_output_};
  if (blobs_.empty()) {
    blobs_.push_back(std::make_shared<Blob>(weight_shape));
    GetFiller(p.weight_filler())->Fill(blobs_[0].get());
    if (bias_term_) {
      blobs_.push_back(std::make_shared<Blob>(bias_shape));
      GetFiller(p.bias_filler())->Fill(blobs_[1].get());
    }
  } else {
    const size_t expected = bias_term_ ? 2 : 1;
    if (blobs_.size() != expected) {
      Fail("expects ", expected, " parameter blob(s) (weights",
           bias_term_ ? " and bias" : "", "), got ", blobs_.size(), ".");
    }
    if (blobs_[0]->shape() != weight_shape) {
      Fail("the weight blob is ", blobs_[0]->shape_string(), " but input_dim ",
           input_dim_, " and num_output ", num_output_, " need ",
           ShapeString(weight_shape), ".");
    }
    if (bias_term_ && blobs_[1]->shape() != bias_shape) {
      Fail("the bias blob is ", blobs_[1]->shape_string(), " but num_output ",
           num_output_, " needs ", ShapeString(bias_shape), ".");
    }
  }
  param_propagate_down_.assign(blobs_.size(), true);
}

void EmbedLayer::Reshape(const std::vector<Blob*>& bottom,
                         const std::vector<Blob*>& top) {
  std::vector<int> shape = bottom[0]->shape();
  shape.push_back(num_output_);
  top[0]->Reshape(shape);
}

int EmbedLayer::IndexAt(const float* indices, int i) const {
  const float value = indices[i];
  const int index = static_cast<int>(value);
  if (static_cast<float>(index) != value || index < 0 || index >= input_dim_) {
    Fail("input value ", value, " at position ", i, " is not a valid index: "
         "indices must be integers in [0, ", input_dim_ - 1,
         "] (embed_param.input_dim is ", input_dim_, ").");
  }
  return index;
}

void EmbedLayer::Forward_cpu(const std::vector<Blob*>& bottom,
                             const std::vector<Blob*>& top) {
  const int count = bottom[0]->count();
  const float* indices = bottom[0]->cpu_data();
  const float* weight = blobs_[0]->cpu_data();
  float* y = top[0]->mutable_cpu_data();
  for (int i = 0; i < count; ++i) {
    cpu_copy(num_output_, weight + IndexAt(indices, i) * num_output_,
             y + i * num_output_);
  }
  if (bias_term_) {
    const float* bias = blobs_[1]->cpu_data();
    for (int i = 0; i < count; ++i) cpu_axpy(num_output_, 1.f, bias, y + i * num_output_);
  }
}

void EmbedLayer::Backward_cpu(const std::vector<Blob*>& top,
                              const std::vector<bool>& propagate_down,
                              const std::vector<Blob*>& bottom) {
  if (propagate_down[0]) {
    Fail("cannot backpropagate to its input: indices have no gradient.");
  }
  const int count = bottom[0]->count();
  const float* top_diff = top[0]->cpu_diff();
  if (param_propagate_down(0)) {
    const float* indices = bottom[0]->cpu_data();
    float* weight_diff = blobs_[0]->mutable_cpu_diff();
    for (int i = 0; i < count; ++i) {
      cpu_axpy(num_output_, 1.f, top_diff + i * num_output_,
               weight_diff + IndexAt(indices, i) * num_output_);
    }
  }
  if (bias_term_ && param_propagate_down(1)) {
    float* bias_diff = blobs_[1]->mutable_cpu_diff();
    for (int i = 0; i < count; ++i) {
      cpu_axpy(num_output_, 1.f, top_diff + i * num_output_, bias_diff);
    }
  }
}

CREMA_REGISTER_LAYER("Embed", EmbedLayer);

}  // namespace crema
