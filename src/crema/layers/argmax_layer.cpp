#include "crema/layers/argmax_layer.hpp"

#include <algorithm>
#include <functional>
#include <utility>

#include "crema/layer_registry.hpp"

namespace crema {

void ArgMaxLayer::LayerSetUp(const std::vector<Blob*>& bottom,
                             const std::vector<Blob*>& top) {
  const ArgMaxParameter& p = layer_param_.argmax_param();
  out_max_val_ = p.out_max_val();
  top_k_ = static_cast<int>(p.top_k());
  has_axis_ = p.has_axis();
  if (top_k_ < 1) Fail("argmax_param.top_k must be at least 1.");
}

void ArgMaxLayer::Reshape(const std::vector<Blob*>& bottom,
                          const std::vector<Blob*>& top) {
  const Blob& in = *bottom[0];
  if (has_axis_) {
    try {
      axis_ = in.CanonicalAxisIndex(layer_param_.argmax_param().axis());
    } catch (const Error& e) {
      Fail("argmax_param.axis: ", e.what());
    }
    if (in.shape(axis_) < top_k_) {
      Fail("top_k (", top_k_, ") is larger than axis ", axis_, " of the input ",
           in.shape_string(), ".");
    }
    std::vector<int> shape = in.shape();
    shape[axis_] = top_k_;
    top[0]->Reshape(shape);
    return;
  }
  if (in.num_axes() < 1 || in.count(1) < top_k_) {
    Fail("top_k (", top_k_, ") is larger than the number of values per item of "
         "the input ", in.shape_string(), ".");
  }
  // N x (1 or 2) x top_k, with at least 3 axes as in Caffe.
  std::vector<int> shape(std::max(in.num_axes(), 3), 1);
  shape[0] = in.shape(0);
  shape[2] = top_k_;
  if (out_max_val_) shape[1] = 2;
  top[0]->Reshape(shape);
}

void ArgMaxLayer::Forward_cpu(const std::vector<Blob*>& bottom,
                              const std::vector<Blob*>& top) {
  const Blob& in = *bottom[0];
  int dim, axis_dist, num;
  if (has_axis_) {
    dim = in.shape(axis_);
    axis_dist = in.count(axis_) / dim;  // stride between values compared
    num = in.count() / dim;
  } else {
    dim = in.count(1);
    axis_dist = 1;
    num = in.shape(0);
  }
  const float* x = in.cpu_data();
  float* y = top[0]->mutable_cpu_data();
  std::vector<std::pair<float, int>> pairs(dim);
  for (int i = 0; i < num; ++i) {
    const int base = (i / axis_dist) * dim * axis_dist + i % axis_dist;
    for (int j = 0; j < dim; ++j) pairs[j] = {x[base + j * axis_dist], j};
    // Largest first; equal values put the higher index first.
    std::partial_sort(pairs.begin(), pairs.begin() + top_k_, pairs.end(),
                      std::greater<std::pair<float, int>>());
    const int out_base = (i / axis_dist) * top_k_ * axis_dist + i % axis_dist;
    for (int j = 0; j < top_k_; ++j) {
      if (has_axis_) {
        y[out_base + j * axis_dist] =
            out_max_val_ ? pairs[j].first : static_cast<float>(pairs[j].second);
      } else if (out_max_val_) {
        y[2 * i * top_k_ + j] = static_cast<float>(pairs[j].second);
        y[2 * i * top_k_ + top_k_ + j] = pairs[j].first;
      } else {
        y[i * top_k_ + j] = static_cast<float>(pairs[j].second);
      }
    }
  }
}

void ArgMaxLayer::Backward_cpu(const std::vector<Blob*>& top,
                               const std::vector<bool>& propagate_down,
                               const std::vector<Blob*>& bottom) {
  if (propagate_down[0]) {
    Fail("has no backward pass (indices have no gradient); stop the gradient "
         "before it.");
  }
}

CREMA_REGISTER_LAYER("ArgMax", ArgMaxLayer);

}  // namespace crema
