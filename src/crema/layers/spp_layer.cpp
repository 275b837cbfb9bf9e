#include "crema/layers/spp_layer.hpp"

#include <cmath>
#include <string>

#include "crema/layer_registry.hpp"
#include "crema/math/math_functions.hpp"

namespace crema {

void SPPLayer::LayerSetUp(const std::vector<Blob*>& bottom,
                          const std::vector<Blob*>& top) {
  pyramid_height_ = static_cast<int>(layer_param_.spp_param().pyramid_height());
  if (pyramid_height_ <= 0) Fail("spp_param.pyramid_height must be positive.");
  height_ = width_ = -1;
}

void SPPLayer::BuildLevels(const Blob& bottom) {
  height_ = bottom.height();
  width_ = bottom.width();
  levels_.clear();
  pooled_.clear();
  for (int level = 0; level < pyramid_height_; ++level) {
    const int bins = 1 << level;
    const int kernel_h = (height_ + bins - 1) / bins;
    const int kernel_w = (width_ + bins - 1) / bins;
    const int pad_h = (kernel_h * bins - height_ + 1) / 2;
    const int pad_w = (kernel_w * bins - width_ + 1) / 2;
    if (pad_h >= kernel_h || pad_w >= kernel_w) {
      Fail("bottom ", bottom.shape_string(),
           " is too small for pyramid_height ", pyramid_height_, ": level ",
           level, " (", bins, " x ", bins, " bins) would need a pad (", pad_h,
           " x ", pad_w, ") as large as its kernel (", kernel_h, " x ",
           kernel_w, ").");
    }
    LayerParameter param;
    param.set_name(StrCat(name(), "_level", level));
    param.set_type("Pooling");
    param.set_phase(phase_);
    PoolingParameter* pool = param.mutable_pooling_param();
    pool->set_pool(static_cast<PoolingParameter::PoolMethod>(
        layer_param_.spp_param().pool()));
    pool->set_kernel_h(kernel_h);
    pool->set_kernel_w(kernel_w);
    pool->set_stride_h(kernel_h);
    pool->set_stride_w(kernel_w);
    pool->set_pad_h(pad_h);
    pool->set_pad_w(pad_w);
    levels_.push_back(LayerRegistry::Create(param));
    pooled_.emplace_back(new Blob());
    levels_.back()->SetUp({const_cast<Blob*>(&bottom)}, {pooled_.back().get()});
  }
}

void SPPLayer::Reshape(const std::vector<Blob*>& bottom,
                       const std::vector<Blob*>& top) {
  if (bottom[0]->num_axes() != 4) {
    Fail("bottom must be N x C x H x W; got ", bottom[0]->shape_string(), ".");
  }
  if (bottom[0]->height() != height_ || bottom[0]->width() != width_) {
    BuildLevels(*bottom[0]);
  }
  int per_image = 0;
  for (size_t l = 0; l < levels_.size(); ++l) {
    levels_[l]->Reshape({bottom[0]}, {pooled_[l].get()});
    per_image += pooled_[l]->count(1);
  }
  if (pyramid_height_ == 1) {
    top[0]->ReshapeLike(*pooled_[0]);
  } else {
    top[0]->Reshape({bottom[0]->num(), per_image});
  }
  bottom_view_.ReshapeLike(*bottom[0]);
  bottom_view_.ShareData(*bottom[0]);
}

void SPPLayer::Forward_cpu(const std::vector<Blob*>& bottom,
                           const std::vector<Blob*>& top) {
  const int num = bottom[0]->num();
  const int per_image = top[0]->count(1);
  float* out = top[0]->mutable_cpu_data();
  int offset = 0;
  for (size_t l = 0; l < levels_.size(); ++l) {
    levels_[l]->Forward({bottom[0]}, {pooled_[l].get()});
    const int dim = pooled_[l]->count(1);
    for (int n = 0; n < num; ++n) {
      cpu_copy(dim, pooled_[l]->cpu_data() + n * dim,
               out + n * per_image + offset);
    }
    offset += dim;
  }
}

void SPPLayer::Backward_cpu(const std::vector<Blob*>& top,
                            const std::vector<bool>& propagate_down,
                            const std::vector<Blob*>& bottom) {
  if (!propagate_down[0]) return;
  const int num = bottom[0]->num();
  const int per_image = top[0]->count(1);
  const float* top_diff = top[0]->cpu_diff();
  float* diff = bottom[0]->mutable_cpu_diff();
  cpu_zero(bottom[0]->count(), diff);
  int offset = 0;
  for (size_t l = 0; l < levels_.size(); ++l) {
    const int dim = pooled_[l]->count(1);
    for (int n = 0; n < num; ++n) {
      cpu_copy(dim, top_diff + n * per_image + offset,
               pooled_[l]->mutable_cpu_diff() + n * dim);
    }
    offset += dim;
    // Each level writes its own gradient; the bottom gets their sum.
    levels_[l]->Backward({pooled_[l].get()}, {true}, {&bottom_view_});
    cpu_axpy(bottom[0]->count(), 1.f, bottom_view_.cpu_diff(), diff);
  }
}

CREMA_REGISTER_LAYER("SPP", SPPLayer);

}  // namespace crema
