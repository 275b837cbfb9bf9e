// DataTransformer's augmentation beyond crop and mirror: random resized crop,
// rotation and colour jitter (the crema fields of TransformationParameter).
#include <opencv2/imgproc.hpp>

#include <cmath>

#include "crema/data/data_transformer.hpp"

namespace crema {

void DataTransformer::CheckAugmentation() const {
  const TransformationParameter& p = param_;
  if (!(p.random_scale_min() > 0 && p.random_scale_min() <= p.random_scale_max() &&
        p.random_scale_max() <= 1)) {
    Fail("random_scale_min (", p.random_scale_min(), ") and random_scale_max (",
         p.random_scale_max(), ") must satisfy 0 < min <= max <= 1 (fractions of the area).");
  }
  if (!(p.random_aspect_min() > 0 && p.random_aspect_min() <= p.random_aspect_max())) {
    Fail("random_aspect_min (", p.random_aspect_min(), ") and random_aspect_max (",
         p.random_aspect_max(), ") must satisfy 0 < min <= max.");
  }
  if (!(p.rotation() >= 0 && p.rotation() <= 180)) {
    Fail("rotation must be between 0 and 180 degrees, not ", p.rotation(), ".");
  }
  const float jitter[] = {p.brightness(), p.contrast(), p.saturation()};
  const char* names[] = {"brightness", "contrast", "saturation"};
  for (int i = 0; i < 3; ++i) {
    if (!(jitter[i] >= 0 && jitter[i] <= 1)) {
      Fail(names[i], " must be between 0 and 1 (factors in [1 - x, 1 + x]), not ", jitter[i],
           ".");
    }
  }
}

bool DataTransformer::Augments() const {
  return phase_ == TRAIN && (Geometric() || param_.brightness() > 0 ||
                             param_.contrast() > 0 || param_.saturation() > 0);
}

bool DataTransformer::Geometric() const {
  const TransformationParameter& p = param_;
  return p.random_scale_min() != 1 || p.random_scale_max() != 1 ||
         p.random_aspect_min() != 1 || p.random_aspect_max() != 1 || p.rotation() > 0;
}

double DataTransformer::Uniform(double lo, double hi) {
  // By hand rather than std::uniform_real_distribution, whose draws differ
  // between standard libraries: the same seed gives the same images anywhere.
  return lo + (hi - lo) * (static_cast<double>(rng_()) / 4294967296.0);
}

cv::Mat DataTransformer::Warp(const cv::Mat& image) {
  const TransformationParameter& p = param_;
  const double width = image.cols, height = image.rows;
  const double area = Uniform(p.random_scale_min(), p.random_scale_max());
  const double ratio =
      std::exp(Uniform(std::log(p.random_aspect_min()), std::log(p.random_aspect_max())));
  const double region_w = std::min(width, width * std::sqrt(area * ratio));
  const double region_h = std::min(height, height * std::sqrt(area / ratio));
  const double center_x = Uniform(region_w / 2, width - region_w / 2);
  const double center_y = Uniform(region_h / 2, height - region_h / 2);
  const double angle = Uniform(-p.rotation(), p.rotation()) * M_PI / 180;
  // Output pixel (u, v) samples the input at centre + R(angle) * S * offset,
  // offset being (u, v) from the output's centre and S the region's scale.
  const double sx = region_w / width, sy = region_h / height;
  const double c = std::cos(angle), s = std::sin(angle);
  const double ox = width / 2 - 0.5, oy = height / 2 - 0.5;
  cv::Mat to_input = (cv::Mat_<double>(2, 3) << c * sx, -s * sy,
                      center_x - 0.5 - c * sx * ox + s * sy * oy, s * sx, c * sy,
                      center_y - 0.5 - s * sx * ox - c * sy * oy);
  cv::Mat out;
  cv::warpAffine(image, out, to_input, image.size(), cv::INTER_LINEAR | cv::WARP_INVERSE_MAP,
                 cv::BORDER_REPLICATE);
  return out;
}

void DataTransformer::Jitter(cv::Mat* image) {
  const TransformationParameter& p = param_;
  if (p.brightness() > 0) {
    *image *= Uniform(1 - p.brightness(), 1 + p.brightness());
  }
  if (p.contrast() > 0) {
    const double factor = Uniform(1 - p.contrast(), 1 + p.contrast());
    const cv::Scalar means = cv::mean(*image);
    double mean = 0;
    for (int c = 0; c < image->channels(); ++c) mean += means[c] / image->channels();
    *image = (*image - cv::Scalar::all(mean)) * factor + cv::Scalar::all(mean);
  }
  if (p.saturation() > 0) {
    const double factor = Uniform(1 - p.saturation(), 1 + p.saturation());
    if (image->channels() == 3) {
      cv::Mat gray;
      cv::transform(*image, gray, cv::Matx13f(0.114f, 0.587f, 0.299f));  // BGR weights
      cv::Mat gray3;
      cv::merge(std::vector<cv::Mat>{gray, gray, gray}, gray3);
      *image = (*image - gray3) * factor + gray3;
    }
  }
}

cv::Mat DataTransformer::Augment(const cv::Mat& image, bool bytes) {
  CHECK_EQ(image.depth(), CV_32F);
  cv::Mat out = Geometric() ? Warp(image) : image.clone();
  Jitter(&out);
  if (bytes) {
    cv::min(out, 255.0, out);
    cv::max(out, 0.0, out);
  }
  return out;
}

}  // namespace crema
