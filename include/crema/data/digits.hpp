// Synthetic digit images for demos and end-to-end tests that must not need
// a download: digits 0-9 drawn with OpenCV's Hershey fonts at random scale,
// rotation, shift and stroke thickness, with pixel noise, written as
// grayscale PNGs into OUT/train/<digit>/ and OUT/test/<digit>/. The same
// seed gives the same files.
#ifndef CREMA_DATA_DIGITS_HPP_
#define CREMA_DATA_DIGITS_HPP_

#include <cstdint>
#include <string>

#include <opencv2/core.hpp>

namespace crema {

struct DigitsOptions {
  int train_per_class = 1000;
  int test_per_class = 200;
  uint64_t seed = 1;
  int size = 28;  // images are size x size
};

struct DigitsResult {
  int train = 0;
  int test = 0;
};

// Throws crema::Error when out_dir cannot be written or an option is out
// of range.
DigitsResult GenerateDigits(const std::string& out_dir, const DigitsOptions& options);

// One digit image (size x size, 8-bit, white on black) from rng.
cv::Mat RenderDigit(int digit, int size, cv::RNG* rng);

}  // namespace crema

#endif  // CREMA_DATA_DIGITS_HPP_
