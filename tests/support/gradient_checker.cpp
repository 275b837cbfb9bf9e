#include "support/gradient_checker.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "crema/math/math_functions.hpp"

namespace crema {
namespace testing {

float GradientChecker::GetObjAndGradient(const std::vector<Blob*>& top,
                                         int top_id, int top_data_id) {
  float loss = 0;
  if (top_id < 0) {
    for (Blob* blob : top) {
      const float* data = blob->cpu_data();
      float* diff = blob->mutable_cpu_diff();
      for (int j = 0; j < blob->count(); ++j) loss += data[j] * data[j];
      cpu_copy(blob->count(), data, diff);
    }
    return loss / 2;
  }
  for (Blob* blob : top) cpu_zero(blob->count(), blob->mutable_cpu_diff());
  Blob* blob = top[top_id];
  if (top_data_id < 0) {
    const float* data = blob->cpu_data();
    float* diff = blob->mutable_cpu_diff();
    for (int j = 0; j < blob->count(); ++j) loss += data[j] * data[j];
    cpu_copy(blob->count(), data, diff);
    return loss / 2;
  }
  // A unit weight on one element; scale it so the objective is not tiny.
  const float loss_weight = 2;
  loss = blob->cpu_data()[top_data_id] * loss_weight;
  blob->mutable_cpu_diff()[top_data_id] = loss_weight;
  return loss;
}

void GradientChecker::CheckGradientSingle(Layer* layer,
                                          const std::vector<Blob*>& bottom,
                                          const std::vector<Blob*>& top,
                                          int check_bottom, int top_id,
                                          int top_data_id, bool element_wise) {
  if (element_wise) {
    ASSERT_EQ(0, layer->blobs().size());
    ASSERT_LE(0, top_id);
    ASSERT_LE(0, top_data_id);
    const int top_count = top[top_id]->count();
    for (Blob* b : bottom) ASSERT_EQ(top_count, b->count());
  }
  // Everything to check: the layer's params, then the chosen bottoms.
  std::vector<Blob*> blobs_to_check;
  std::vector<bool> propagate_down(bottom.size(), check_bottom < 0);
  for (auto& blob : layer->blobs()) {
    cpu_zero(blob->count(), blob->mutable_cpu_diff());
    blobs_to_check.push_back(blob.get());
  }
  if (check_bottom < 0) {
    for (Blob* b : bottom) blobs_to_check.push_back(b);
  } else if (check_bottom < static_cast<int>(bottom.size())) {
    blobs_to_check.push_back(bottom[check_bottom]);
    propagate_down[check_bottom] = true;
  }
  ASSERT_GT(blobs_to_check.size(), 0u) << "nothing to check";

  // Analytic gradients.
  Crema::set_random_seed(seed_);
  layer->Forward(bottom, top);
  GetObjAndGradient(top, top_id, top_data_id);
  layer->Backward(top, propagate_down, bottom);
  std::vector<std::vector<float>> computed(blobs_to_check.size());
  for (size_t b = 0; b < blobs_to_check.size(); ++b) {
    const Blob* blob = blobs_to_check[b];
    computed[b].assign(blob->cpu_diff(), blob->cpu_diff() + blob->count());
  }

  // Numerical gradients, one element at a time.
  for (size_t b = 0; b < blobs_to_check.size(); ++b) {
    Blob* blob = blobs_to_check[b];
    for (int feat_id = 0; feat_id < blob->count(); ++feat_id) {
      if (element_wise && feat_id != top_data_id) continue;
      float* data = blob->mutable_cpu_data();
      const float original = data[feat_id];
      data[feat_id] = original + stepsize_;
      Crema::set_random_seed(seed_);
      layer->Forward(bottom, top);
      const float positive = GetObjAndGradient(top, top_id, top_data_id);
      blob->mutable_cpu_data()[feat_id] = original - stepsize_;
      Crema::set_random_seed(seed_);
      layer->Forward(bottom, top);
      const float negative = GetObjAndGradient(top, top_id, top_data_id);
      blob->mutable_cpu_data()[feat_id] = original;
      const float estimated = (positive - negative) / stepsize_ / 2.f;
      const float analytic = computed[b][feat_id];
      if (kink_range_ < 0 || std::fabs(original - kink_) > kink_range_) {
        const float scale = std::max({std::fabs(analytic), std::fabs(estimated), 1.f});
        EXPECT_NEAR(analytic, estimated, threshold_ * scale)
            << "blob #" << b << " (of " << blobs_to_check.size()
            << "; params first), element " << feat_id << ", top " << top_id
            << " element " << top_data_id;
      }
    }
  }
}

void GradientChecker::CheckGradient(Layer* layer, const std::vector<Blob*>& bottom,
                                    const std::vector<Blob*>& top,
                                    int check_bottom) {
  layer->SetUp(bottom, top);
  CheckGradientSingle(layer, bottom, top, check_bottom, -1, -1);
}

void GradientChecker::CheckGradientExhaustive(Layer* layer,
                                              const std::vector<Blob*>& bottom,
                                              const std::vector<Blob*>& top,
                                              int check_bottom) {
  layer->SetUp(bottom, top);
  ASSERT_GT(top.size(), 0u) << "Exhaustive mode needs at least one top blob.";
  for (size_t i = 0; i < top.size(); ++i) {
    for (int j = 0; j < top[i]->count(); ++j) {
      CheckGradientSingle(layer, bottom, top, check_bottom, static_cast<int>(i), j);
    }
  }
}

void GradientChecker::CheckGradientEltwise(Layer* layer,
                                           const std::vector<Blob*>& bottom,
                                           const std::vector<Blob*>& top) {
  layer->SetUp(bottom, top);
  ASSERT_GT(top.size(), 0u) << "Eltwise mode needs at least one top blob.";
  for (size_t i = 0; i < top.size(); ++i) {
    for (int j = 0; j < top[i]->count(); ++j) {
      CheckGradientSingle(layer, bottom, top, -1, static_cast<int>(i), j, true);
    }
  }
}

}  // namespace testing
}  // namespace crema
