#include "crema/data/data_transformer.hpp"

#include <sstream>

#include "crema/data/datum.hpp"
#include "crema/io/proto_io.hpp"

namespace crema {

DataTransformer::DataTransformer(const TransformationParameter& param, Phase phase,
                                 const std::string& owner)
    : param_(param), phase_(phase), owner_(owner) {
  if (param_.force_color() && param_.force_gray()) {
    Fail("transform_param asks for both force_color and force_gray; pick one.");
  }
  if (param_.has_mean_file() && param_.mean_value_size() > 0) {
    Fail("transform_param gives both mean_file ('", param_.mean_file(),
         "') and mean_value; specify one or the other.");
  }
  if (param_.has_mean_file()) {
    BlobProto proto;
    try {
      ReadProtoFromBinaryFile(param_.mean_file(), &proto);
      data_mean_.FromProto(proto);
    } catch (const Error& e) {
      Fail("cannot read mean_file '", param_.mean_file(), "': ", e.what());
    }
  }
  for (int i = 0; i < param_.mean_value_size(); ++i) {
    mean_values_.push_back(param_.mean_value(i));
  }
  CheckAugmentation();
  InitRand();
}

void DataTransformer::InitRand() { rng_.seed(Crema::rng()()); }

int DataTransformer::Rand(int n) {
  CHECK_GT(n, 0);
  return static_cast<int>(rng_() % static_cast<uint32_t>(n));
}

std::string DataTransformer::SaveState() const {
  std::ostringstream os;
  os << rng_;
  return os.str();
}

void DataTransformer::RestoreState(const std::string& state) {
  std::istringstream is(state);
  RandomEngine restored;
  is >> restored;
  if (is.fail()) Fail("the saved random-engine state of the transformer is corrupt.");
  rng_ = restored;
}

void DataTransformer::CheckMean(int channels, int height, int width, const char* what) {
  if (param_.has_mean_file()) {
    const std::vector<int> input{1, channels, height, width};
    if (data_mean_.channels() != channels || data_mean_.height() != height ||
        data_mean_.width() != width) {
      Fail("the mean in mean_file '", param_.mean_file(), "' is ",
           data_mean_.shape_string(), " but the ", what, " is ", ShapeString(input),
           " (before cropping); the mean must have the input's channels, height "
           "and width (recompute it with compute_image_mean on this data).");
    }
  }
  if (!mean_values_.empty() && mean_values_.size() != 1 &&
      static_cast<int>(mean_values_.size()) != channels) {
    Fail("transform_param has ", mean_values_.size(), " mean_value entries but the ",
         what, " has ", channels, " channels; give one mean_value or one per channel.");
  }
}

namespace {

// A decoded datum as an H x W float image with interleaved channels.
cv::Mat DatumToFloatImage(const Datum& datum) {
  const int channels = datum.channels(), height = datum.height(), width = datum.width();
  cv::Mat image(height, width, CV_32FC(channels));
  const auto* bytes = reinterpret_cast<const uint8_t*>(datum.data().data());
  for (int c = 0; c < channels; ++c) {
    for (int h = 0; h < height; ++h) {
      float* row = image.ptr<float>(h);
      for (int w = 0; w < width; ++w) {
        const int i = (c * height + h) * width + w;
        row[w * channels + c] = datum.data().empty() ? datum.float_data(i) : bytes[i];
      }
    }
  }
  return image;
}

// The loop shared by every input form. get(c, h, w) reads the input value.
template <typename Get>
void TransformValues(int channels, int height, int width, int out_height,
                     int out_width, int h_off, int w_off, bool mirror, float scale,
                     const float* mean_file, const std::vector<float>& mean_values,
                     const Get& get, float* out) {
  for (int c = 0; c < channels; ++c) {
    const float mean_value =
        mean_values.empty() ? 0.f : mean_values[mean_values.size() == 1 ? 0 : c];
    for (int h = 0; h < out_height; ++h) {
      for (int w = 0; w < out_width; ++w) {
        const int out_w = mirror ? out_width - 1 - w : w;
        const int in_h = h + h_off;
        const int in_w = w + w_off;
        float value = get(c, in_h, in_w);
        if (mean_file) {
          value -= mean_file[(c * height + in_h) * width + in_w];
        } else {
          value -= mean_value;
        }
        out[(c * out_height + h) * out_width + out_w] = value * scale;
      }
    }
  }
}

}  // namespace

void DataTransformer::Transform(const Datum& datum, float* transformed) {
  if (datum.encoded()) {
    Fail("internal: Transform(datum, float*) needs a decoded datum");
  }
  const int channels = datum.channels();
  const int height = datum.height();
  const int width = datum.width();
  if (channels <= 0 || height <= 0 || width <= 0) {
    Fail("a datum has no valid shape (", DatumDescription(datum), ").");
  }
  if (DatumValueCount(datum) != DatumShapeCount(datum)) {
    Fail("a datum announces ", DatumDescription(datum), " (", DatumShapeCount(datum),
         " values) but holds ", DatumValueCount(datum), " values.");
  }
  const int crop = static_cast<int>(param_.crop_size());
  if (crop > 0 && (height < crop || width < crop)) {
    Fail("crop_size ", crop, " is larger than the input (", DatumDescription(datum), ").");
  }
  CheckMean(channels, height, width, "datum");
  cv::Mat augmented;  // empty unless augmenting
  if (Augments()) augmented = Augment(DatumToFloatImage(datum), !datum.data().empty());
  const bool mirror = param_.mirror() && Rand(2);
  int out_h = height, out_w = width, h_off = 0, w_off = 0;
  if (crop > 0) {
    out_h = out_w = crop;
    if (phase_ == TRAIN) {
      h_off = Rand(height - crop + 1);
      w_off = Rand(width - crop + 1);
    } else {
      h_off = (height - crop) / 2;
      w_off = (width - crop) / 2;
    }
  }
  const float* mean = param_.has_mean_file() ? data_mean_.cpu_data() : nullptr;
  if (augmented.data) {
    TransformValues(channels, height, width, out_h, out_w, h_off, w_off, mirror,
                    param_.scale(), mean, mean_values_,
                    [&](int c, int h, int w) { return augmented.ptr<float>(h)[w * channels + c]; },
                    transformed);
  } else if (!datum.data().empty()) {
    const auto* bytes = reinterpret_cast<const uint8_t*>(datum.data().data());
    TransformValues(channels, height, width, out_h, out_w, h_off, w_off, mirror,
                    param_.scale(), mean, mean_values_,
                    [&](int c, int h, int w) {
                      return static_cast<float>(bytes[(c * height + h) * width + w]);
                    },
                    transformed);
  } else {
    const float* values = datum.float_data().data();
    TransformValues(channels, height, width, out_h, out_w, h_off, w_off, mirror,
                    param_.scale(), mean, mean_values_,
                    [&](int c, int h, int w) { return values[(c * height + h) * width + w]; },
                    transformed);
  }
}

cv::Mat DataTransformer::DecodeForced(const Datum& datum) const {
  try {
    if (param_.force_color()) return DecodeDatumToCVMat(datum, true);
    if (param_.force_gray()) return DecodeDatumToCVMat(datum, false);
    return DecodeDatumToCVMatNative(datum);
  } catch (const Error& e) {
    Fail(e.what());
  }
}

void DataTransformer::Transform(const Datum& datum, Blob* transformed) {
  if (datum.encoded()) return Transform(DecodeForced(datum), transformed);
  if (param_.force_color() || param_.force_gray()) {
    LOG_FIRST_N(WARNING, 1) << owner_
                            << ": force_color and force_gray apply to encoded datums only";
  }
  const int crop = static_cast<int>(param_.crop_size());
  const int expect_h = crop > 0 ? crop : datum.height();
  const int expect_w = crop > 0 ? crop : datum.width();
  if (transformed->num_axes() > 4 || transformed->num() < 1 ||
      transformed->channels() != datum.channels() ||
      transformed->height() != expect_h || transformed->width() != expect_w) {
    Fail("a datum of ", DatumDescription(datum), " (", DatumShapeCount(datum),
         " values) does not fit the blob shape ", transformed->shape_string(),
         crop > 0 ? StrCat(" with crop_size ", crop) : std::string(),
         "; every record must have the same size.");
  }
  Transform(datum, transformed->mutable_cpu_data());
}

void DataTransformer::Transform(const std::vector<Datum>& datums, Blob* transformed) {
  const int num = transformed->num();
  if (static_cast<int>(datums.size()) > num) {
    Fail(datums.size(), " datums do not fit into a blob of ", transformed->shape_string());
  }
  Blob one(1, transformed->channels(), transformed->height(), transformed->width());
  for (size_t i = 0; i < datums.size(); ++i) {
    Transform(datums[i], &one);
    std::copy(one.cpu_data(), one.cpu_data() + one.count(),
              transformed->mutable_cpu_data() + transformed->offset(static_cast<int>(i)));
  }
}

void DataTransformer::Transform(const std::vector<cv::Mat>& images, Blob* transformed) {
  const int num = transformed->num();
  if (static_cast<int>(images.size()) > num) {
    Fail(images.size(), " images do not fit into a blob of ", transformed->shape_string());
  }
  Blob one(1, transformed->channels(), transformed->height(), transformed->width());
  for (size_t i = 0; i < images.size(); ++i) {
    Transform(images[i], &one);
    std::copy(one.cpu_data(), one.cpu_data() + one.count(),
              transformed->mutable_cpu_data() + transformed->offset(static_cast<int>(i)));
  }
}

void DataTransformer::Transform(const cv::Mat& image, Blob* transformed) {
  if (image.empty()) Fail("an empty image cannot be transformed.");
  if (image.depth() != CV_8U) Fail("images must have 8-bit unsigned pixels.");
  const int channels = image.channels();
  const int height = image.rows;
  const int width = image.cols;
  const int crop = static_cast<int>(param_.crop_size());
  const int expect_h = crop > 0 ? crop : height;
  const int expect_w = crop > 0 ? crop : width;
  const std::vector<int> input{1, channels, height, width};
  if (crop > 0 && (height < crop || width < crop)) {
    Fail("crop_size ", crop, " is larger than the image (", ShapeString(input), ").");
  }
  if (transformed->num_axes() > 4 || transformed->num() < 1 ||
      transformed->channels() != channels || transformed->height() != expect_h ||
      transformed->width() != expect_w) {
    Fail("an image of ", ShapeString(input), " does not fit the blob shape ",
         transformed->shape_string(),
         crop > 0 ? StrCat(" with crop_size ", crop) : std::string(),
         "; every image must have the same size.");
  }
  CheckMean(channels, height, width, "image");
  cv::Mat augmented;
  if (Augments()) {
    image.convertTo(augmented, CV_32F);
    augmented = Augment(augmented, true);
  }
  const bool mirror = param_.mirror() && Rand(2);
  int h_off = 0, w_off = 0;
  if (crop > 0) {
    if (phase_ == TRAIN) {
      h_off = Rand(height - crop + 1);
      w_off = Rand(width - crop + 1);
    } else {
      h_off = (height - crop) / 2;
      w_off = (width - crop) / 2;
    }
  }
  const float* mean = param_.has_mean_file() ? data_mean_.cpu_data() : nullptr;
  TransformValues(channels, height, width, expect_h, expect_w, h_off, w_off, mirror,
                  param_.scale(), mean, mean_values_,
                  [&](int c, int h, int w) {
                    return augmented.data ? augmented.ptr<float>(h)[w * channels + c]
                                          : static_cast<float>(image.ptr<uchar>(h)[w * channels + c]);
                  },
                  transformed->mutable_cpu_data());
}

std::vector<int> DataTransformer::InferBlobShape(const Datum& datum) {
  if (datum.encoded()) return InferBlobShape(DecodeForced(datum));
  const int crop = static_cast<int>(param_.crop_size());
  if (datum.channels() <= 0 || datum.height() <= 0 || datum.width() <= 0) {
    Fail("a datum has no valid shape (", DatumDescription(datum), ").");
  }
  // Checked here, before the caller allocates for the shape: a record of a
  // few bytes may announce any size.
  if (DatumValueCount(datum) != DatumShapeCount(datum)) {
    Fail("a datum announces ", DatumDescription(datum), " but holds ",
         DatumValueCount(datum), " values.");
  }
  if (crop > 0 && (datum.height() < crop || datum.width() < crop)) {
    Fail("crop_size ", crop, " is larger than the input (", DatumDescription(datum), ").");
  }
  return {1, datum.channels(), crop > 0 ? crop : datum.height(),
          crop > 0 ? crop : datum.width()};
}

std::vector<int> DataTransformer::InferBlobShape(const cv::Mat& image) {
  const int crop = static_cast<int>(param_.crop_size());
  if (crop > 0 && (image.rows < crop || image.cols < crop)) {
    Fail("crop_size ", crop, " is larger than the image (", image.rows, " x ",
         image.cols, ").");
  }
  return {1, image.channels(), crop > 0 ? crop : image.rows,
          crop > 0 ? crop : image.cols};
}

}  // namespace crema
