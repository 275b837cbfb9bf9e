#include "crema/layers/accuracy_layer.hpp"

#include "crema/layer_registry.hpp"
#include "crema/math/math_functions.hpp"

namespace crema {

void AccuracyLayer::LayerSetUp(const std::vector<Blob*>& bottom,
                               const std::vector<Blob*>& top) {
  const AccuracyParameter& param = layer_param_.accuracy_param();
  top_k_ = static_cast<int>(param.top_k());
  has_ignore_label_ = param.has_ignore_label();
  ignore_label_ = param.ignore_label();
}

void AccuracyLayer::Reshape(const std::vector<Blob*>& bottom,
                            const std::vector<Blob*>& top) {
  try {
    axis_ = bottom[0]->CanonicalAxisIndex(layer_param_.accuracy_param().axis());
  } catch (const Error& e) {
    Fail("accuracy_param.axis: ", e.what());
  }
  const int num_labels = bottom[0]->shape(axis_);
  if (top_k_ < 1 || top_k_ > num_labels) {
    Fail("top_k is ", top_k_, " but the scores ", bottom[0]->shape_string(),
         " have ", num_labels, " classes along axis ", axis_,
         "; top_k must be between 1 and the number of classes.");
  }
  outer_num_ = bottom[0]->count(0, axis_);
  inner_num_ = bottom[0]->count(axis_ + 1);
  if (outer_num_ * inner_num_ != bottom[1]->count()) {
    Fail("the number of labels must match the number of predictions: with "
         "axis ", axis_, " the scores ", bottom[0]->shape_string(), " need ",
         outer_num_ * inner_num_, " labels, but the label blob is ",
         bottom[1]->shape_string(), ".");
  }
  top[0]->Reshape(std::vector<int>{});
  if (top.size() > 1) top[1]->Reshape(std::vector<int>{num_labels});
  class_counts_.assign(num_labels, 0);
}

void AccuracyLayer::Forward_cpu(const std::vector<Blob*>& bottom,
                                const std::vector<Blob*>& top) {
  const float* scores = bottom[0]->cpu_data();
  const float* label = bottom[1]->cpu_data();
  const int num_labels = bottom[0]->shape(axis_);
  const int dim = bottom[0]->count() / outer_num_;
  const bool per_class = top.size() > 1;
  float* class_accuracy = per_class ? top[1]->mutable_cpu_data() : nullptr;
  if (per_class) cpu_zero(num_labels, class_accuracy);
  class_counts_.assign(num_labels, 0);

  int correct = 0;
  int count = 0;
  for (int i = 0; i < outer_num_; ++i) {
    for (int j = 0; j < inner_num_; ++j) {
      const int value = static_cast<int>(label[i * inner_num_ + j]);
      if (has_ignore_label_ && value == ignore_label_) continue;
      if (value < 0 || value >= num_labels) {
        Fail("label ", value, " at position ", i * inner_num_ + j,
             " of the label blob is out of range: the scores have ", num_labels,
             " classes, so labels must be in [0, ", num_labels - 1, "].");
      }
      ++class_counts_[value];
      // The true class is in the top k when fewer than k other classes
      // score at least as high (ties count against it, as in Caffe).
      const float true_score = scores[i * dim + value * inner_num_ + j];
      int at_least_as_high = 0;
      for (int k = 0; k < num_labels; ++k) {
        if (k != value && scores[i * dim + k * inner_num_ + j] >= true_score) {
          ++at_least_as_high;
        }
      }
      if (at_least_as_high < top_k_) {
        ++correct;
        if (per_class) ++class_accuracy[value];
      }
      ++count;
    }
  }
  top[0]->mutable_cpu_data()[0] = count == 0 ? 0.f : static_cast<float>(correct) / count;
  if (per_class) {
    for (int c = 0; c < num_labels; ++c) {
      class_accuracy[c] = class_counts_[c] == 0 ? 0.f : class_accuracy[c] / class_counts_[c];
    }
  }
}

void AccuracyLayer::Backward_cpu(const std::vector<Blob*>& top,
                                 const std::vector<bool>& propagate_down,
                                 const std::vector<Blob*>& bottom) {
  for (size_t i = 0; i < propagate_down.size(); ++i) {
    if (propagate_down[i]) {
      Fail("has no backward pass; it cannot propagate a gradient to bottom[",
           i, "]. Set propagate_down: false for its inputs or move it out of "
           "the backward path.");
    }
  }
}

CREMA_REGISTER_LAYER("Accuracy", AccuracyLayer);

}  // namespace crema
