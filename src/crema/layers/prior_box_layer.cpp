#include "crema/layers/prior_box_layer.hpp"

#include <algorithm>
#include <cmath>

#include "crema/layer_registry.hpp"
#include "crema/math/math_functions.hpp"

namespace crema {

void PriorBoxLayer::LayerSetUp(const std::vector<Blob*>& bottom,
                               const std::vector<Blob*>& top) {
  const PriorBoxParameter& p = layer_param_.prior_box_param();
  if (p.min_size_size() == 0) Fail("prior_box_param needs at least one min_size.");
  min_sizes_.assign(p.min_size().begin(), p.min_size().end());
  for (float s : min_sizes_) {
    if (s <= 0) Fail("prior_box_param.min_size must be positive; got ", s, ".");
  }
  max_sizes_.assign(p.max_size().begin(), p.max_size().end());
  if (!max_sizes_.empty() && max_sizes_.size() != min_sizes_.size()) {
    Fail("prior_box_param has ", max_sizes_.size(), " max_size values for ",
         min_sizes_.size(), " min_size values; give one per min_size or none.");
  }
  for (size_t i = 0; i < max_sizes_.size(); ++i) {
    if (max_sizes_[i] <= min_sizes_[i]) {
      Fail("prior_box_param.max_size ", max_sizes_[i],
           " must be larger than its min_size ", min_sizes_[i], ".");
    }
  }
  aspect_ratios_ = {1.f};
  for (float r : p.aspect_ratio()) {
    const bool seen = std::any_of(aspect_ratios_.begin(), aspect_ratios_.end(),
                                  [r](float a) { return std::fabs(r - a) < 1e-6f; });
    if (seen) continue;
    if (r <= 0) Fail("prior_box_param.aspect_ratio must be positive; got ", r, ".");
    aspect_ratios_.push_back(r);
    if (p.flip()) aspect_ratios_.push_back(1.f / r);
  }
  num_priors_ = static_cast<int>(aspect_ratios_.size() * min_sizes_.size() +
                                 max_sizes_.size());
  clip_ = p.clip();
  if (p.variance_size() == 0) {
    variance_ = {0.1f, 0.1f, 0.1f, 0.1f};
  } else if (p.variance_size() == 1) {
    variance_.assign(4, p.variance(0));
  } else if (p.variance_size() == 4) {
    variance_.assign(p.variance().begin(), p.variance().end());
  } else {
    Fail("prior_box_param needs 1 or 4 variance values; got ", p.variance_size(), ".");
  }
  for (float v : variance_) {
    if (v <= 0) Fail("prior_box_param.variance must be positive; got ", v, ".");
  }
  if (p.has_img_size() && (p.has_img_h() || p.has_img_w())) {
    Fail("prior_box_param: give img_size or img_h and img_w, not both.");
  }
  img_h_ = p.has_img_size() ? p.img_size() : p.img_h();
  img_w_ = p.has_img_size() ? p.img_size() : p.img_w();
  if (p.has_step() && (p.has_step_h() || p.has_step_w())) {
    Fail("prior_box_param: give step or step_h and step_w, not both.");
  }
  step_h_ = p.has_step() ? p.step() : p.step_h();
  step_w_ = p.has_step() ? p.step() : p.step_w();
  offset_ = p.offset();
}

void PriorBoxLayer::Reshape(const std::vector<Blob*>& bottom,
                            const std::vector<Blob*>& top) {
  if (bottom[0]->num_axes() != 4 || bottom[1]->num_axes() != 4) {
    Fail("needs a feature map and an image, both N x C x H x W; got ",
         bottom[0]->shape_string(), " and ", bottom[1]->shape_string(), ".");
  }
  const int cells = bottom[0]->height() * bottom[0]->width();
  top[0]->Reshape(std::vector<int>{1, 2, cells * num_priors_ * 4});
}

void PriorBoxLayer::Forward_cpu(const std::vector<Blob*>& bottom,
                                const std::vector<Blob*>& top) {
  const int layer_h = bottom[0]->height(), layer_w = bottom[0]->width();
  const float img_h = img_h_ > 0 ? img_h_ : bottom[1]->height();
  const float img_w = img_w_ > 0 ? img_w_ : bottom[1]->width();
  const float step_h = step_h_ > 0 ? step_h_ : img_h / layer_h;
  const float step_w = step_w_ > 0 ? step_w_ : img_w / layer_w;
  float* out = top[0]->mutable_cpu_data();
  float* box = out;
  auto emit = [&](float cx, float cy, float bw, float bh) {
    box[0] = (cx - bw / 2.f) / img_w;
    box[1] = (cy - bh / 2.f) / img_h;
    box[2] = (cx + bw / 2.f) / img_w;
    box[3] = (cy + bh / 2.f) / img_h;
    box += 4;
  };
  for (int h = 0; h < layer_h; ++h) {
    for (int w = 0; w < layer_w; ++w) {
      const float cx = (w + offset_) * step_w, cy = (h + offset_) * step_h;
      for (size_t s = 0; s < min_sizes_.size(); ++s) {
        const float min_size = min_sizes_[s];
        emit(cx, cy, min_size, min_size);
        if (!max_sizes_.empty()) {
          const float side = std::sqrt(min_size * max_sizes_[s]);
          emit(cx, cy, side, side);
        }
        for (float r : aspect_ratios_) {
          if (std::fabs(r - 1.f) < 1e-6f) continue;
          emit(cx, cy, min_size * std::sqrt(r), min_size / std::sqrt(r));
        }
      }
    }
  }
  const int dim = top[0]->count(2);
  if (clip_) {
    for (int i = 0; i < dim; ++i) out[i] = std::min(std::max(out[i], 0.f), 1.f);
  }
  for (int i = 0; i < dim; ++i) out[dim + i] = variance_[i % 4];
}

void PriorBoxLayer::Backward_cpu(const std::vector<Blob*>& top,
                                 const std::vector<bool>& propagate_down,
                                 const std::vector<Blob*>& bottom) {
  for (size_t i = 0; i < bottom.size(); ++i) {
    if (propagate_down[i]) cpu_zero(bottom[i]->count(), bottom[i]->mutable_cpu_diff());
  }
}

CREMA_REGISTER_LAYER("PriorBox", PriorBoxLayer);

}  // namespace crema
