#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>

#include <fstream>

#include "crema/common.hpp"
#include "crema/data/datum.hpp"
#include "data/data_test_util.hpp"

namespace crema {
namespace {

using testing::ScratchDir;

cv::Mat Pattern(int rows, int cols, int channels) {
  cv::Mat m(rows, cols, CV_8UC(channels));
  for (int h = 0; h < rows; ++h) {
    for (int w = 0; w < cols; ++w) {
      for (int c = 0; c < channels; ++c) {
        m.ptr<uchar>(h)[w * channels + c] = static_cast<uchar>(h * 31 + w * 7 + c * 50);
      }
    }
  }
  return m;
}

bool SameMat(const cv::Mat& a, const cv::Mat& b) {
  return a.size() == b.size() && a.type() == b.type() && cv::countNonZero(
      (a.reshape(1) != b.reshape(1))) == 0;
}

TEST(DatumTest, RawRoundTripIsChannelMajor) {
  const cv::Mat image = Pattern(3, 4, 3);
  Datum datum;
  CVMatToDatum(image, &datum);
  EXPECT_EQ(datum.channels(), 3);
  EXPECT_EQ(datum.height(), 3);
  EXPECT_EQ(datum.width(), 4);
  EXPECT_FALSE(datum.encoded());
  ASSERT_EQ(datum.data().size(), 36u);
  // Element (c, h, w) lives at (c * H + h) * W + w.
  const int c = 2, h = 1, w = 3;
  EXPECT_EQ(static_cast<uchar>(datum.data()[(c * 3 + h) * 4 + w]),
            image.ptr<uchar>(h)[w * 3 + c]);
  EXPECT_TRUE(SameMat(DatumToCVMat(datum), image));
  EXPECT_TRUE(SameMat(DecodeDatumToCVMatNative(datum), image));
}

TEST(DatumTest, EncodedPngRoundTrip) {
  ScratchDir dir;
  const cv::Mat image = Pattern(5, 6, 3);
  const std::string path = dir / "x.png";
  ASSERT_TRUE(cv::imwrite(path, image));

  Datum encoded;
  ASSERT_TRUE(ReadImageToDatum(path, 7, 0, 0, true, "png", &encoded));
  EXPECT_TRUE(encoded.encoded());
  EXPECT_EQ(encoded.label(), 7);
  // Same format and no resize: the file's own bytes are stored.
  std::ifstream file(path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(file)), {});
  EXPECT_EQ(encoded.data(), bytes);
  EXPECT_TRUE(SameMat(DecodeDatumToCVMat(encoded, true), image));

  Datum raw;
  ASSERT_TRUE(ReadImageToDatum(path, 7, 0, 0, true, "", &raw));
  EXPECT_FALSE(raw.encoded());
  Datum decoded = encoded;
  EXPECT_TRUE(DecodeDatumNative(&decoded));
  EXPECT_EQ(decoded.data(), raw.data());
  EXPECT_EQ(decoded.label(), 7);
  EXPECT_FALSE(DecodeDatumNative(&decoded));  // already raw

  // Gray decode gives one channel.
  EXPECT_EQ(DecodeDatumToCVMat(encoded, false).channels(), 1);
}

TEST(DatumTest, ReEncodesWhenResizedOrOtherFormat) {
  ScratchDir dir;
  const std::string path = dir / "x.png";
  ASSERT_TRUE(cv::imwrite(path, Pattern(8, 8, 3)));
  Datum datum;
  ASSERT_TRUE(ReadImageToDatum(path, 1, 4, 6, true, "png", &datum));
  const cv::Mat decoded = DecodeDatumToCVMatNative(datum);
  EXPECT_EQ(decoded.rows, 4);
  EXPECT_EQ(decoded.cols, 6);
  ASSERT_TRUE(ReadImageToDatum(path, 1, 0, 0, false, "jpg", &datum));
  EXPECT_EQ(static_cast<uchar>(datum.data()[0]), 0xFF);  // JPEG SOI marker
  EXPECT_EQ(DecodeDatumToCVMatNative(datum).channels(), 1);
}

TEST(DatumTest, FloatDatumRoundTripsThroughProto) {
  Datum datum;
  datum.set_channels(1);
  datum.set_height(2);
  datum.set_width(2);
  for (float v : {0.5f, -1.25f, 3e5f, 7.f}) datum.add_float_data(v);
  std::string bytes;
  ASSERT_TRUE(datum.SerializeToString(&bytes));
  Datum back;
  ASSERT_TRUE(back.ParseFromString(bytes));
  ASSERT_EQ(back.float_data_size(), 4);
  EXPECT_EQ(back.float_data(1), -1.25f);
  EXPECT_EQ(DatumValueCount(back), 4u);
  EXPECT_EQ(DatumShapeCount(back), 4u);
  EXPECT_THROW(DatumToCVMat(back), Error);
}

TEST(DatumTest, RawDatumsNeedEightBitImages) {
  const cv::Mat deep(2, 3, CV_16UC1, cv::Scalar(1000));
  Datum datum;
  try {
    CVMatToDatum(deep, &datum);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("16-bit"), std::string::npos) << e.what();
  }
}

TEST(DatumTest, UnreadableFilesAreRejected) {
  ScratchDir dir;
  Datum datum;
  EXPECT_FALSE(ReadImageToDatum(dir / "missing.png", 0, 0, 0, true, "", &datum));
  std::ofstream(dir / "text.png") << "not an image";
  EXPECT_FALSE(ReadImageToDatum(dir / "text.png", 0, 0, 0, true, "", &datum));
  Datum bad;
  bad.set_encoded(true);
  bad.set_data("garbage");
  EXPECT_THROW(DecodeDatumToCVMatNative(bad), Error);
}

}  // namespace
}  // namespace crema
