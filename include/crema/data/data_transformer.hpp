// DataTransformer: Caffe's preprocessing of one example into a slice of a
// blob, set by TransformationParameter: in TRAIN, optional augmentation
// (crema's random resized crop, rotation and colour jitter; see
// proto/crema.proto), then optional crop (random in TRAIN,
// centered in TEST), optional random mirror, mean subtraction (a mean file
// or per-channel mean values) and scaling, in that order:
//   out = (pixel - mean) * scale
// Random draws come from the transformer's own engine, seeded from
// Crema::rng(); its state can be saved and restored so a resumed run sees
// the same crops and mirrors.
#ifndef CREMA_DATA_DATA_TRANSFORMER_HPP_
#define CREMA_DATA_DATA_TRANSFORMER_HPP_

#include <opencv2/core.hpp>

#include <string>
#include <vector>

#include "crema/blob.hpp"
#include "crema/common.hpp"
#include "crema/proto/crema.pb.h"

namespace crema {

class DataTransformer {
 public:
  // `owner` ("layer 'data' (Data)") prefixes error messages. Throws
  // crema::Error when the mean file cannot be read or both mean_file and
  // mean_value are given.
  DataTransformer(const TransformationParameter& param, Phase phase,
                  const std::string& owner = "data transformer");

  // Reseeds the engine from Crema::rng().
  void InitRand();

  // Writes one example into `transformed`, a blob of shape 1 x C x H x W
  // (or N x C x H x W for the vector forms) whose H x W is the crop size
  // when cropping. Encoded datums are decoded first (force_color /
  // force_gray pick the channel count). Throws crema::Error when the input's
  // size disagrees with the blob's or with the mean.
  void Transform(const Datum& datum, Blob* transformed);
  void Transform(const std::vector<Datum>& datums, Blob* transformed);
  void Transform(const cv::Mat& image, Blob* transformed);
  void Transform(const std::vector<cv::Mat>& images, Blob* transformed);
  // Writes into raw memory laid out as one C x H x W example.
  void Transform(const Datum& datum, float* transformed);

  // Shape {1, C, H, W} that Transform produces for this input.
  std::vector<int> InferBlobShape(const Datum& datum);
  std::vector<int> InferBlobShape(const cv::Mat& image);

  // The random engine's state, as text, and back.
  std::string SaveState() const;
  void RestoreState(const std::string& state);

  const TransformationParameter& param() const { return param_; }
  // The mean read from mean_file (empty blob without one).
  const Blob& data_mean() const { return data_mean_; }

 private:
  // A uniform draw in [0, n).
  int Rand(int n);
  // Augmentation (augmentation.cpp). Augments(): whether this transformer
  // augments at all; Augment() takes and returns a float image (H x W,
  // C interleaved channels) of the same size; `bytes` clamps to [0, 255].
  void CheckAugmentation() const;
  bool Augments() const;
  bool Geometric() const;
  double Uniform(double lo, double hi);
  cv::Mat Warp(const cv::Mat& image);
  void Jitter(cv::Mat* image);
  cv::Mat Augment(const cv::Mat& image, bool bytes);
  // Decodes an encoded datum with the force_color / force_gray choice.
  cv::Mat DecodeForced(const Datum& datum) const;
  // Checks and prepares the mean for an input of this shape.
  void CheckMean(int channels, int height, int width, const char* what);
  template <typename... Args>
  [[noreturn]] void Fail(const Args&... args) const {
    Throw(owner_, ": ", args...);
  }

  TransformationParameter param_;
  Phase phase_;
  std::string owner_;
  Blob data_mean_;
  std::vector<float> mean_values_;
  RandomEngine rng_;
};

}  // namespace crema

#endif  // CREMA_DATA_DATA_TRANSFORMER_HPP_
