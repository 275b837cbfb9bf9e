#include "crema/data/datum.hpp"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <fstream>
#include <vector>

#include "crema/common.hpp"
#include "crema/data/image_header.hpp"

namespace crema {
namespace {

std::string LowerExtension(const std::string& path) {
  const size_t dot = path.rfind('.');
  const size_t slash = path.find_last_of("/\\");
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) {
    return "";
  }
  std::string ext = path.substr(dot + 1);
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return ext;
}

bool SameEncoding(const std::string& ext, std::string encoding) {
  std::transform(encoding.begin(), encoding.end(), encoding.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  if (ext == encoding) return true;
  const auto is_jpeg = [](const std::string& e) { return e == "jpg" || e == "jpeg"; };
  return is_jpeg(ext) && is_jpeg(encoding);
}

cv::Mat Decode(const Datum& datum, int flags) {
  const std::string& bytes = datum.data();
  CheckImageHeaderSize(bytes, "An encoded datum");
  std::vector<uchar> buffer(bytes.begin(), bytes.end());
  cv::Mat image;
  try {
    image = cv::imdecode(buffer, flags);
  } catch (const cv::Exception& e) {
    Throw("Could not decode an encoded datum (", bytes.size(), " bytes): ", e.what());
  }
  if (image.empty()) {
    Throw("Could not decode an encoded datum (", bytes.size(),
          " bytes): not a JPEG/PNG image OpenCV can read.");
  }
  return image;
}

}  // namespace

cv::Mat ReadImageToCVMat(const std::string& path, int height, int width,
                         bool is_color) {
  const int flags = is_color ? cv::IMREAD_COLOR : cv::IMREAD_GRAYSCALE;
  cv::Mat image;
  try {
    image = cv::imread(path, flags);
  } catch (const cv::Exception&) {
    return cv::Mat();
  }
  if (image.empty()) return image;
  if (height > 0 && width > 0) {
    cv::Mat resized;
    cv::resize(image, resized, cv::Size(width, height));
    return resized;
  }
  return image;
}

bool ReadFileToDatum(const std::string& path, int label, Datum* datum) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return false;
  std::string bytes((std::istreambuf_iterator<char>(file)),
                    std::istreambuf_iterator<char>());
  if (file.bad()) return false;
  datum->Clear();
  datum->set_data(bytes);
  datum->set_label(label);
  datum->set_encoded(true);
  return true;
}

bool ReadImageToDatum(const std::string& path, int label, int height, int width,
                      bool is_color, const std::string& encoding, Datum* datum) {
  cv::Mat image = ReadImageToCVMat(path, height, width, is_color);
  if (image.empty()) return false;
  if (encoding.empty()) {
    CVMatToDatum(image, datum);
    datum->set_label(label);
    return true;
  }
  // The file's own bytes are kept when decoding them gives the same image.
  if ((image.channels() == 3) == is_color && height == 0 && width == 0 &&
      SameEncoding(LowerExtension(path), encoding)) {
    return ReadFileToDatum(path, label, datum);
  }
  std::vector<uchar> buffer;
  if (!cv::imencode("." + encoding, image, buffer)) return false;
  datum->Clear();
  datum->set_data(std::string(buffer.begin(), buffer.end()));
  datum->set_label(label);
  datum->set_encoded(true);
  return true;
}

void CVMatToDatum(const cv::Mat& image, Datum* datum) {
  if (image.depth() != CV_8U) {
    Throw("Only 8-bit images can be stored as raw datums; this ", image.cols, " x ",
          image.rows, " image has ", 8 * image.elemSize1(), "-bit channels.");
  }
  const int channels = image.channels();
  const int height = image.rows;
  const int width = image.cols;
  datum->set_channels(channels);
  datum->set_height(height);
  datum->set_width(width);
  datum->clear_float_data();
  datum->set_encoded(false);
  std::string buffer(static_cast<size_t>(channels) * height * width, '\0');
  for (int h = 0; h < height; ++h) {
    const uchar* row = image.ptr<uchar>(h);
    for (int w = 0; w < width; ++w) {
      for (int c = 0; c < channels; ++c) {
        buffer[(static_cast<size_t>(c) * height + h) * width + w] =
            static_cast<char>(row[w * channels + c]);
      }
    }
  }
  datum->set_data(std::move(buffer));
}

cv::Mat DatumToCVMat(const Datum& datum) {
  if (datum.encoded()) return DecodeDatumToCVMatNative(datum);
  if (datum.float_data_size() > 0 && datum.data().empty()) {
    Throw("A datum of float_data (", DatumDescription(datum),
          ") has no 8-bit image form.");
  }
  const int channels = datum.channels();
  const int height = datum.height();
  const int width = datum.width();
  if (DatumValueCount(datum) != DatumShapeCount(datum) || channels <= 0) {
    Throw("A datum announces ", DatumDescription(datum), " but holds ",
          DatumValueCount(datum), " values.");
  }
  cv::Mat image(height, width, CV_8UC(channels));
  const std::string& data = datum.data();
  for (int h = 0; h < height; ++h) {
    uchar* row = image.ptr<uchar>(h);
    for (int w = 0; w < width; ++w) {
      for (int c = 0; c < channels; ++c) {
        row[w * channels + c] = static_cast<uchar>(
            data[(static_cast<size_t>(c) * height + h) * width + w]);
      }
    }
  }
  return image;
}

cv::Mat DecodeDatumToCVMat(const Datum& datum, bool is_color) {
  if (!datum.encoded()) return DatumToCVMat(datum);
  return Decode(datum, is_color ? cv::IMREAD_COLOR : cv::IMREAD_GRAYSCALE);
}

cv::Mat DecodeDatumToCVMatNative(const Datum& datum) {
  if (!datum.encoded()) return DatumToCVMat(datum);
  return Decode(datum, cv::IMREAD_ANYCOLOR);
}

bool DecodeDatum(Datum* datum, bool is_color) {
  if (!datum->encoded()) return false;
  cv::Mat image = DecodeDatumToCVMat(*datum, is_color);
  CVMatToDatum(image, datum);
  return true;
}

bool DecodeDatumNative(Datum* datum) {
  if (!datum->encoded()) return false;
  cv::Mat image = DecodeDatumToCVMatNative(*datum);
  CVMatToDatum(image, datum);
  return true;
}

size_t DatumValueCount(const Datum& datum) {
  return datum.data().empty() ? static_cast<size_t>(datum.float_data_size())
                              : datum.data().size();
}

size_t DatumShapeCount(const Datum& datum) {
  // Each factor is below 2^31, so two multiply without overflow; the third
  // only when the product so far cannot pass what a datum may hold.
  const size_t area = static_cast<size_t>(std::max(datum.height(), 0)) *
                      static_cast<size_t>(std::max(datum.width(), 0));
  const size_t channels = static_cast<size_t>(std::max(datum.channels(), 0));
  if (channels > 0 && area > SIZE_MAX / channels) return SIZE_MAX;
  return channels * area;
}

std::string DatumDescription(const Datum& datum) {
  if (datum.encoded()) return StrCat("encoded image (", datum.data().size(), " bytes)");
  return StrCat(datum.channels(), " x ", datum.height(), " x ", datum.width(),
                datum.data().empty() && datum.float_data_size() > 0 ? " floats"
                                                                    : " bytes");
}

}  // namespace crema
