// The Data layer on databases of encoded images (convert_imageset --encoded),
// with transform_param's force_color / force_gray.
#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "crema/common.hpp"
#include "crema/data/image_set.hpp"
#include "crema/layer_registry.hpp"
#include "data/data_test_util.hpp"
#include "support/test_util.hpp"

namespace crema {
namespace {

namespace fs = std::filesystem;
using testing::ParseText;
using testing::ScratchDir;

// BGR of the color image a/color.png; gray images hold kGray.
constexpr int kBlue = 30, kGreen = 120, kRed = 200;
constexpr int kGray = 77;
// OpenCV's (and so Caffe's) BGR -> gray weights applied to the color image.
constexpr float kColorAsGray = 0.114f * kBlue + 0.587f * kGreen + 0.299f * kRed;

// images/a/color.png and images/b/gray.png, 4 x 5. The first is 3-channel
// BGR (or, with gray_files, 1-channel kColorAsGray); the second is kGray,
// 1-channel unless color_files.
std::string MakeImages(const ScratchDir& dir, bool gray_files, bool color_files) {
  const std::string root = dir / "images";
  fs::create_directories(root + "/a");
  fs::create_directories(root + "/b");
  const cv::Mat color = gray_files
                            ? cv::Mat(4, 5, CV_8UC1, cv::Scalar(134))
                            : cv::Mat(4, 5, CV_8UC3, cv::Scalar(kBlue, kGreen, kRed));
  const cv::Mat gray = color_files ? cv::Mat(4, 5, CV_8UC3, cv::Scalar::all(kGray))
                                   : cv::Mat(4, 5, CV_8UC1, cv::Scalar(kGray));
  EXPECT_TRUE(cv::imwrite(root + "/a/color.png", color));
  EXPECT_TRUE(cv::imwrite(root + "/b/gray.png", gray));
  return root;
}

struct Result {
  std::vector<int> shape;
  std::vector<float> data;
  std::vector<float> label;
};

Result RunDataLayer(const std::string& source, const std::string& transform) {
  const auto param = ParseText<LayerParameter>(
      "name: 'data' type: 'Data' phase: TEST data_param { source: '" + source +
      "' batch_size: 2 backend: LMDB } transform_param { " + transform + " }");
  auto layer = LayerRegistry::Create(param);
  Blob data, label;
  layer->SetUp({}, {&data, &label});
  const std::vector<int> setup_shape = data.shape();
  layer->Forward({}, {&data, &label});
  EXPECT_EQ(data.shape(), setup_shape);
  return {data.shape(), std::vector<float>(data.cpu_data(), data.cpu_data() + data.count()),
          std::vector<float>(label.cpu_data(), label.cpu_data() + label.count())};
}

// Every value of image n, channel c is `expected` (within `tolerance`).
void ExpectPlane(const Result& r, int n, int c, float expected, float tolerance = 0) {
  const int channels = r.shape[1], plane = r.shape[2] * r.shape[3];
  for (int k = 0; k < plane; ++k) {
    ASSERT_NEAR(r.data[(n * channels + c) * plane + k], expected, tolerance)
        << "image " << n << " channel " << c << " value " << k;
  }
}

std::string ErrorOf(const std::string& source, const std::string& transform) {
  try {
    RunDataLayer(source, transform);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(DataLayerEncodedTest, ColorImagesNativeAndForced) {
  ScratchDir dir;
  ConvertOptions options;
  options.encoded = true;  // as convert_imageset --encoded: 3-channel PNGs
  const ConvertResult converted =
      ConvertImageFolder(MakeImages(dir, false, true), dir / "db", options);
  ASSERT_EQ(converted.written, 2u);

  for (const char* transform : {"", "force_color: true"}) {
    SCOPED_TRACE(transform);
    const Result r = RunDataLayer(dir / "db", transform);
    EXPECT_EQ(r.shape, (std::vector<int>{2, 3, 4, 5}));
    EXPECT_EQ(r.label, (std::vector<float>{0, 1}));
    ExpectPlane(r, 0, 0, kBlue);
    ExpectPlane(r, 0, 1, kGreen);
    ExpectPlane(r, 0, 2, kRed);
    for (int c = 0; c < 3; ++c) ExpectPlane(r, 1, c, kGray);
  }

  const Result gray = RunDataLayer(dir / "db", "force_gray: true");
  EXPECT_EQ(gray.shape, (std::vector<int>{2, 1, 4, 5}));
  EXPECT_EQ(gray.label, (std::vector<float>{0, 1}));
  ExpectPlane(gray, 0, 0, kColorAsGray, 1.f);
  ExpectPlane(gray, 1, 0, kGray);

  // The other transform fields apply after decoding.
  const Result scaled = RunDataLayer(dir / "db", "force_gray: true scale: 0.5 mean_value: 7");
  EXPECT_EQ(scaled.shape, (std::vector<int>{2, 1, 4, 5}));
  ExpectPlane(scaled, 1, 0, (kGray - 7) * 0.5f);
}

TEST(DataLayerEncodedTest, GrayImagesNativeAndForced) {
  ScratchDir dir;
  ConvertOptions options;
  options.encoded = true;
  options.gray = true;  // 1-channel PNGs
  ASSERT_EQ(ConvertImageFolder(MakeImages(dir, true, false), dir / "db", options).written, 2u);

  for (const char* transform : {"", "force_gray: true"}) {
    SCOPED_TRACE(transform);
    const Result r = RunDataLayer(dir / "db", transform);
    EXPECT_EQ(r.shape, (std::vector<int>{2, 1, 4, 5}));
    ExpectPlane(r, 0, 0, 134);
    ExpectPlane(r, 1, 0, kGray);
  }

  const Result color = RunDataLayer(dir / "db", "force_color: true");
  EXPECT_EQ(color.shape, (std::vector<int>{2, 3, 4, 5}));
  for (int c = 0; c < 3; ++c) {
    ExpectPlane(color, 0, c, 134);
    ExpectPlane(color, 1, c, kGray);
  }
}

// As in Caffe, --encoded keeps a PNG's own bytes, so a database can hold
// 3-channel and 1-channel images; force_color / force_gray make them agree.
TEST(DataLayerEncodedTest, MixedChannelCountsNeedForcing) {
  ScratchDir dir;
  ConvertOptions options;
  options.encoded = true;
  ASSERT_EQ(ConvertImageFolder(MakeImages(dir, false, false), dir / "db", options).written, 2u);

  const std::string msg = ErrorOf(dir / "db", "");
  EXPECT_NE(msg.find("'data'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("b/gray.png"), std::string::npos) << msg;

  const Result color = RunDataLayer(dir / "db", "force_color: true");
  EXPECT_EQ(color.shape, (std::vector<int>{2, 3, 4, 5}));
  ExpectPlane(color, 0, 0, kBlue);
  ExpectPlane(color, 0, 2, kRed);
  for (int c = 0; c < 3; ++c) ExpectPlane(color, 1, c, kGray);

  const Result gray = RunDataLayer(dir / "db", "force_gray: true");
  EXPECT_EQ(gray.shape, (std::vector<int>{2, 1, 4, 5}));
  ExpectPlane(gray, 0, 0, kColorAsGray, 1.f);
  ExpectPlane(gray, 1, 0, kGray);
}

}  // namespace
}  // namespace crema
