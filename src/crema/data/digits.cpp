#include "crema/data/digits.hpp"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cstdio>
#include <filesystem>

#include "crema/common.hpp"

namespace crema {
namespace {

namespace fs = std::filesystem;

constexpr int kFaces[] = {
    cv::FONT_HERSHEY_SIMPLEX,       cv::FONT_HERSHEY_PLAIN,
    cv::FONT_HERSHEY_DUPLEX,        cv::FONT_HERSHEY_COMPLEX,
    cv::FONT_HERSHEY_TRIPLEX,       cv::FONT_HERSHEY_COMPLEX_SMALL,
    cv::FONT_HERSHEY_SCRIPT_SIMPLEX, cv::FONT_HERSHEY_SCRIPT_COMPLEX,
};
constexpr int kSupersample = 4;

void WriteSplit(const fs::path& dir, int per_class, int size, cv::RNG* rng) {
  const std::vector<int> png{cv::IMWRITE_PNG_COMPRESSION, 1};
  for (int digit = 0; digit < 10; ++digit) {
    const fs::path class_dir = dir / std::to_string(digit);
    std::error_code ec;
    fs::create_directories(class_dir, ec);
    if (ec) Throw("Cannot create '", class_dir.string(), "': ", ec.message());
    for (int i = 0; i < per_class; ++i) {
      const cv::Mat image = RenderDigit(digit, size, rng);
      char name[32];
      std::snprintf(name, sizeof(name), "%d_%05d.png", digit, i);
      const std::string path = (class_dir / name).string();
      if (!cv::imwrite(path, image, png)) Throw("Cannot write '", path, "'.");
    }
  }
}

}  // namespace

cv::Mat RenderDigit(int digit, int size, cv::RNG* rng) {
  const int big = size * kSupersample;
  cv::Mat canvas(big, big, CV_8UC1, cv::Scalar(0));
  const int face = kFaces[rng->uniform(0, static_cast<int>(std::size(kFaces)))] |
                   (rng->uniform(0, 4) == 0 ? cv::FONT_ITALIC : 0);
  const int thickness = rng->uniform(kSupersample / 2 + 1, kSupersample * 2 + 2);
  const std::string text = std::to_string(digit);

  // Scale the glyph so its height is a random fraction of the image.
  int baseline = 0;
  const cv::Size unit = cv::getTextSize(text, face, 1.0, thickness, &baseline);
  const double target = big * rng->uniform(0.55, 0.8);
  const double font_scale = target / std::max(unit.height, 1);
  const cv::Size glyph = cv::getTextSize(text, face, font_scale, thickness, &baseline);
  const cv::Point origin((big - glyph.width) / 2, (big + glyph.height) / 2);
  cv::putText(canvas, text, origin, face, font_scale, cv::Scalar(255), thickness,
              cv::LINE_AA);

  // Rotate, scale and shift about the center.
  const double angle = rng->uniform(-15.0, 15.0);
  const double scale = rng->uniform(0.85, 1.15);
  cv::Mat warp = cv::getRotationMatrix2D(cv::Point2f(big / 2.f, big / 2.f), angle, scale);
  warp.at<double>(0, 2) += rng->uniform(-0.1, 0.1) * big;
  warp.at<double>(1, 2) += rng->uniform(-0.1, 0.1) * big;
  cv::Mat warped;
  cv::warpAffine(canvas, warped, warp, canvas.size(), cv::INTER_LINEAR,
                 cv::BORDER_CONSTANT, cv::Scalar(0));

  cv::Mat small;
  cv::resize(warped, small, cv::Size(size, size), 0, 0, cv::INTER_AREA);
  cv::Mat noise(size, size, CV_32FC1);
  rng->fill(noise, cv::RNG::NORMAL, 0.0, rng->uniform(0.0, 24.0));
  cv::Mat noisy;
  small.convertTo(noisy, CV_32FC1);
  noisy += noise;
  cv::Mat out;
  noisy.convertTo(out, CV_8UC1);  // saturates to [0, 255]
  return out;
}

DigitsResult GenerateDigits(const std::string& out_dir, const DigitsOptions& options) {
  if (options.size < 8 || options.size > 512) {
    Throw("The digit image size must be between 8 and 512 pixels, got ", options.size, ".");
  }
  if (options.train_per_class < 0 || options.test_per_class < 0) {
    Throw("The number of images per class cannot be negative.");
  }
  // Separate streams keep the test set the same whatever the train size.
  cv::RNG train_rng(options.seed * 2 + 1);
  cv::RNG test_rng(options.seed * 2 + 2);
  WriteSplit(fs::path(out_dir) / "train", options.train_per_class, options.size, &train_rng);
  WriteSplit(fs::path(out_dir) / "test", options.test_per_class, options.size, &test_rng);
  return {options.train_per_class * 10, options.test_per_class * 10};
}

}  // namespace crema
