// Numerical gradient checking for layers: central differences of an
// objective built on the layer's tops, compared element by element with the
// gradients the layer's Backward computes.
#ifndef CREMA_TESTS_SUPPORT_GRADIENT_CHECKER_HPP_
#define CREMA_TESTS_SUPPORT_GRADIENT_CHECKER_HPP_

#include <vector>

#include "crema/layer.hpp"

namespace crema {
namespace testing {

class GradientChecker {
 public:
  // kink / kink_range: skip points within kink_range of a non-differentiable
  // point (ReLU's 0, for instance).
  GradientChecker(float stepsize = 1e-2f, float threshold = 1e-3f,
                  unsigned seed = 1701, float kink = 0.f,
                  float kink_range = -1.f)
      : stepsize_(stepsize), threshold_(threshold), seed_(seed),
        kink_(kink), kink_range_(kink_range) {}

  // Objective: half the sum of squares of every top. check_bottom < 0 checks
  // all bottoms (and the layer's params), else only that bottom.
  void CheckGradient(Layer* layer, const std::vector<Blob*>& bottom,
                     const std::vector<Blob*>& top, int check_bottom = -1);
  // One objective per top element: slower and stricter.
  void CheckGradientExhaustive(Layer* layer, const std::vector<Blob*>& bottom,
                               const std::vector<Blob*>& top,
                               int check_bottom = -1);
  // For element-wise layers: top element i depends only on bottom element i.
  void CheckGradientEltwise(Layer* layer, const std::vector<Blob*>& bottom,
                            const std::vector<Blob*>& top);
  // top_id < 0: sum-of-squares over all tops; top_data_id < 0: over top
  // top_id; else the single element (top_id, top_data_id).
  void CheckGradientSingle(Layer* layer, const std::vector<Blob*>& bottom,
                           const std::vector<Blob*>& top, int check_bottom,
                           int top_id, int top_data_id,
                           bool element_wise = false);

 private:
  float GetObjAndGradient(const std::vector<Blob*>& top, int top_id,
                          int top_data_id);
  float stepsize_, threshold_;
  unsigned seed_;
  float kink_, kink_range_;
};

}  // namespace testing
}  // namespace crema

#endif  // CREMA_TESTS_SUPPORT_GRADIENT_CHECKER_HPP_
