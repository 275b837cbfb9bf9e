#include "crema/layers/roi_pooling_layer.hpp"

#include <algorithm>
#include <cfloat>
#include <cmath>

#include "crema/layer_registry.hpp"
#include "crema/math/math_functions.hpp"

namespace crema {

void ROIPoolingLayer::LayerSetUp(const std::vector<Blob*>& bottom,
                                 const std::vector<Blob*>& top) {
  const ROIPoolingParameter& param = layer_param_.roi_pooling_param();
  pooled_h_ = static_cast<int>(param.pooled_h());
  pooled_w_ = static_cast<int>(param.pooled_w());
  spatial_scale_ = param.spatial_scale();
  if (pooled_h_ <= 0 || pooled_w_ <= 0) {
    Fail("roi_pooling_param.pooled_h and pooled_w must be positive; got ",
         pooled_h_, " and ", pooled_w_, ".");
  }
}

void ROIPoolingLayer::Reshape(const std::vector<Blob*>& bottom,
                              const std::vector<Blob*>& top) {
  if (bottom[0]->num_axes() != 4) {
    Fail("bottom 0 (features) must be N x C x H x W; got ",
         bottom[0]->shape_string(), ".");
  }
  const Blob& rois = *bottom[1];
  if (rois.num_axes() < 2 || rois.shape(1) != 5 || rois.count(2) != 1) {
    Fail("bottom 1 (rois) must be R x 5 (batch index, x1, y1, x2, y2); got ",
         rois.shape_string(), ".");
  }
  channels_ = bottom[0]->channels();
  height_ = bottom[0]->height();
  width_ = bottom[0]->width();
  top[0]->Reshape(rois.shape(0), channels_, pooled_h_, pooled_w_);
  argmax_.assign(top[0]->count(), -1);
}

void ROIPoolingLayer::Forward_cpu(const std::vector<Blob*>& bottom,
                                  const std::vector<Blob*>& top) {
  const float* features = bottom[0]->cpu_data();
  const float* rois = bottom[1]->cpu_data();
  float* out = top[0]->mutable_cpu_data();
  const int num = bottom[0]->num();
  const int plane = height_ * width_;
  for (int r = 0; r < bottom[1]->shape(0); ++r) {
    const float* roi = rois + r * 5;
    const int n = static_cast<int>(roi[0]);
    if (roi[0] != static_cast<float>(n) || n < 0 || n >= num) {
      Fail("roi ", r, " has batch index ", roi[0], ", but the feature map ",
           bottom[0]->shape_string(), " holds ", num,
           " image(s) (indices 0 to ", num - 1, ").");
    }
    const int x1 = static_cast<int>(std::round(roi[1] * spatial_scale_));
    const int y1 = static_cast<int>(std::round(roi[2] * spatial_scale_));
    const int x2 = static_cast<int>(std::round(roi[3] * spatial_scale_));
    const int y2 = static_cast<int>(std::round(roi[4] * spatial_scale_));
    const float bin_h =
        static_cast<float>(std::max(y2 - y1 + 1, 1)) / pooled_h_;
    const float bin_w =
        static_cast<float>(std::max(x2 - x1 + 1, 1)) / pooled_w_;
    for (int c = 0; c < channels_; ++c) {
      const float* in = features + (n * channels_ + c) * plane;
      for (int ph = 0; ph < pooled_h_; ++ph) {
        const int hstart = std::clamp(
            static_cast<int>(std::floor(ph * bin_h)) + y1, 0, height_);
        const int hend = std::clamp(
            static_cast<int>(std::ceil((ph + 1) * bin_h)) + y1, 0, height_);
        for (int pw = 0; pw < pooled_w_; ++pw) {
          const int wstart = std::clamp(
              static_cast<int>(std::floor(pw * bin_w)) + x1, 0, width_);
          const int wend = std::clamp(
              static_cast<int>(std::ceil((pw + 1) * bin_w)) + x1, 0, width_);
          const int index =
              ((r * channels_ + c) * pooled_h_ + ph) * pooled_w_ + pw;
          const bool empty = hend <= hstart || wend <= wstart;
          float best = empty ? 0.f : -FLT_MAX;
          int best_index = -1;
          for (int h = hstart; h < hend; ++h) {
            for (int w = wstart; w < wend; ++w) {
              if (in[h * width_ + w] > best) {
                best = in[h * width_ + w];
                best_index = h * width_ + w;
              }
            }
          }
          out[index] = best;
          argmax_[index] = best_index;
        }
      }
    }
  }
}

void ROIPoolingLayer::Backward_cpu(const std::vector<Blob*>& top,
                                   const std::vector<bool>& propagate_down,
                                   const std::vector<Blob*>& bottom) {
  if (!propagate_down[0]) return;
  const float* top_diff = top[0]->cpu_diff();
  const float* rois = bottom[1]->cpu_data();
  float* diff = bottom[0]->mutable_cpu_diff();
  cpu_zero(bottom[0]->count(), diff);
  const int plane = height_ * width_;
  const int per_roi = channels_ * pooled_h_ * pooled_w_;
  const int per_channel = pooled_h_ * pooled_w_;
  for (int i = 0; i < top[0]->count(); ++i) {
    if (argmax_[i] < 0) continue;
    const int r = i / per_roi;
    const int c = (i % per_roi) / per_channel;
    const int n = static_cast<int>(rois[r * 5]);
    diff[(n * channels_ + c) * plane + argmax_[i]] += top_diff[i];
  }
}

CREMA_REGISTER_LAYER("ROIPooling", ROIPoolingLayer);

}  // namespace crema
