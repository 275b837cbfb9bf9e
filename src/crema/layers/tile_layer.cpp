#include "crema/layers/tile_layer.hpp"

#include "crema/layer_registry.hpp"
#include "crema/math/math_functions.hpp"

namespace crema {

void TileLayer::Reshape(const std::vector<Blob*>& bottom,
                        const std::vector<Blob*>& top) {
  const TileParameter& p = layer_param_.tile_param();
  try {
    axis_ = bottom[0]->CanonicalAxisIndex(p.axis());
  } catch (const Error& e) {
    Fail("tile_param.axis: ", e.what());
  }
  if (!p.has_tiles() || p.tiles() < 1) {
    Fail("tile_param.tiles must be given and be at least 1.");
  }
  tiles_ = p.tiles();
  std::vector<int> shape = bottom[0]->shape();
  shape[axis_] *= tiles_;
  top[0]->Reshape(shape);
  outer_dim_ = bottom[0]->count(0, axis_);
  inner_dim_ = bottom[0]->count(axis_);
}

void TileLayer::Forward_cpu(const std::vector<Blob*>& bottom,
                            const std::vector<Blob*>& top) {
  const float* x = bottom[0]->cpu_data();
  float* y = top[0]->mutable_cpu_data();
  for (int i = 0; i < outer_dim_; ++i) {
    for (int t = 0; t < tiles_; ++t) {
      cpu_copy(inner_dim_, x + i * inner_dim_, y + (i * tiles_ + t) * inner_dim_);
    }
  }
}

void TileLayer::Backward_cpu(const std::vector<Blob*>& top,
                             const std::vector<bool>& propagate_down,
                             const std::vector<Blob*>& bottom) {
  if (!propagate_down[0]) return;
  const float* top_diff = top[0]->cpu_diff();
  float* bottom_diff = bottom[0]->mutable_cpu_diff();
  for (int i = 0; i < outer_dim_; ++i) {
    float* dx = bottom_diff + i * inner_dim_;
    cpu_copy(inner_dim_, top_diff + i * tiles_ * inner_dim_, dx);
    for (int t = 1; t < tiles_; ++t) {
      cpu_axpy(inner_dim_, 1.f, top_diff + (i * tiles_ + t) * inner_dim_, dx);
    }
  }
}

CREMA_REGISTER_LAYER("Tile", TileLayer);

}  // namespace crema
