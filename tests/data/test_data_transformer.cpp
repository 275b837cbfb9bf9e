#include <gtest/gtest.h>

#include <set>
#include <utility>

#include "crema/common.hpp"
#include "crema/data/data_transformer.hpp"
#include "crema/io/proto_io.hpp"
#include "data/data_test_util.hpp"
#include "support/test_util.hpp"

namespace crema {
namespace {

using testing::MakeDatum;
using testing::ParseText;
using testing::ScratchDir;

// A 1 x 4 x 5 datum whose pixel (h, w) is 10 * h + w.
Datum Grid(int channels = 1) {
  Datum d;
  d.set_channels(channels);
  d.set_height(4);
  d.set_width(5);
  std::string data;
  for (int c = 0; c < channels; ++c) {
    for (int h = 0; h < 4; ++h) {
      for (int w = 0; w < 5; ++w) data.push_back(static_cast<char>(100 * c + 10 * h + w));
    }
  }
  d.set_data(data);
  return d;
}

std::vector<float> TransformOnce(const std::string& param_text, Phase phase, const Datum& datum) {
  DataTransformer t(ParseText<TransformationParameter>(param_text), phase);
  Blob out(t.InferBlobShape(datum));
  t.Transform(datum, &out);
  return std::vector<float>(out.cpu_data(), out.cpu_data() + out.count());
}

TEST(DataTransformerTest, IdentityAndScale) {
  const auto plain = TransformOnce("", TEST, Grid());
  ASSERT_EQ(plain.size(), 20u);
  EXPECT_EQ(plain[0], 0.f);
  EXPECT_EQ(plain[7], 12.f);  // h 1, w 2
  const auto scaled = TransformOnce("scale: 0.5", TEST, Grid());
  EXPECT_EQ(scaled[7], 6.f);
}

TEST(DataTransformerTest, CenterCropInTest) {
  // 4 x 5 cropped to 2 x 2 starts at ((4-2)/2, (5-2)/2) = (1, 1).
  const auto out = TransformOnce("crop_size: 2", TEST, Grid());
  EXPECT_EQ(out, (std::vector<float>{11, 12, 21, 22}));
  // Same every time.
  EXPECT_EQ(TransformOnce("crop_size: 2", TEST, Grid()), out);
}

TEST(DataTransformerTest, RandomCropInTrainCoversAllPositions) {
  DataTransformer t(ParseText<TransformationParameter>("crop_size: 2"), TRAIN);
  Blob out(1, 1, 2, 2);
  std::set<std::pair<int, int>> seen;
  for (int i = 0; i < 300; ++i) {
    t.Transform(Grid(), &out);
    const float* p = out.cpu_data();
    const int h = static_cast<int>(p[0]) / 10, w = static_cast<int>(p[0]) % 10;
    ASSERT_LE(h, 2);
    ASSERT_LE(w, 3);
    // A contiguous crop of the grid.
    ASSERT_EQ(p[1], p[0] + 1);
    ASSERT_EQ(p[2], p[0] + 10);
    ASSERT_EQ(p[3], p[0] + 11);
    seen.insert({h, w});
  }
  EXPECT_EQ(seen.size(), 12u);  // 3 x 4 possible offsets
}

TEST(DataTransformerTest, MirrorFlipsWidth) {
  DataTransformer t(ParseText<TransformationParameter>("mirror: true"), TEST);
  Blob out(1, 1, 4, 5);
  int flipped = 0, kept = 0;
  for (int i = 0; i < 100; ++i) {
    t.Transform(Grid(), &out);
    const float* p = out.cpu_data();
    if (p[0] == 4.f) {
      ++flipped;
      EXPECT_EQ(p[4], 0.f);
      EXPECT_EQ(p[5], 14.f);
    } else {
      ++kept;
      EXPECT_EQ(p[0], 0.f);
    }
  }
  EXPECT_GT(flipped, 20);
  EXPECT_GT(kept, 20);
}

TEST(DataTransformerTest, MeanValuesPerChannelAndSingle) {
  const auto per_channel = TransformOnce("mean_value: 1 mean_value: 100", TEST, Grid(2));
  EXPECT_EQ(per_channel[0], -1.f);         // c0: 0 - 1
  EXPECT_EQ(per_channel[20 + 7], 12.f);    // c1: 112 - 100
  const auto single = TransformOnce("mean_value: 2 scale: 2", TEST, Grid(2));
  EXPECT_EQ(single[20 + 7], 220.f);        // (112 - 2) * 2
  EXPECT_THROW(TransformOnce("mean_value: 1 mean_value: 2 mean_value: 3", TEST, Grid(2)), Error);
}

TEST(DataTransformerTest, MeanFileIsSubtractedBeforeCropAndScale) {
  ScratchDir dir;
  Blob mean(1, 1, 4, 5);
  for (int i = 0; i < 20; ++i) mean.mutable_cpu_data()[i] = static_cast<float>(i);
  BlobProto proto;
  mean.ToProto(&proto);
  WriteProtoToBinaryFile(proto, dir / "mean.binaryproto");
  // Pixel (h, w) = 10h + w; mean (h, w) = 5h + w; difference 5h, scaled by 2.
  const auto out =
      TransformOnce("crop_size: 2 scale: 2 mean_file: '" + (dir / "mean.binaryproto") + "'", TEST, Grid());
  EXPECT_EQ(out, (std::vector<float>{10, 10, 20, 20}));
}

TEST(DataTransformerTest, MeanErrorsNameTheFile) {
  ScratchDir dir;
  Blob mean(1, 3, 4, 5);
  BlobProto proto;
  mean.ToProto(&proto);
  const std::string path = dir / "mean.binaryproto";
  WriteProtoToBinaryFile(proto, path);
  try {
    TransformOnce("mean_file: '" + path + "'", TEST, Grid());
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
  EXPECT_THROW(TransformOnce("mean_file: '" + path + "' mean_value: 3", TEST, Grid()), Error);
  EXPECT_THROW(TransformOnce("mean_file: '" + (dir / "none") + "'", TEST, Grid()), Error);
}

TEST(DataTransformerTest, FloatDataAndMatAgreeWithBytes) {
  Datum f = Grid();
  f.clear_data();
  for (int i = 0; i < 20; ++i) f.add_float_data(static_cast<float>(10 * (i / 5) + i % 5));
  EXPECT_EQ(TransformOnce("crop_size: 2", TEST, f), TransformOnce("crop_size: 2", TEST, Grid()));

  cv::Mat image(4, 5, CV_8UC2);
  for (int h = 0; h < 4; ++h) {
    for (int w = 0; w < 5; ++w) {
      image.ptr<uchar>(h)[w * 2] = static_cast<uchar>(10 * h + w);
      image.ptr<uchar>(h)[w * 2 + 1] = static_cast<uchar>(100 + 10 * h + w);
    }
  }
  DataTransformer t(ParseText<TransformationParameter>("crop_size: 3 mean_value: 5"), TEST);
  Blob from_mat(t.InferBlobShape(image));
  t.Transform(image, &from_mat);
  EXPECT_EQ(from_mat.shape(), (std::vector<int>{1, 2, 3, 3}));
  const auto from_datum = TransformOnce("crop_size: 3 mean_value: 5", TEST, Grid(2));
  EXPECT_EQ(std::vector<float>(from_mat.cpu_data(), from_mat.cpu_data() + 18), from_datum);
}

TEST(DataTransformerTest, SizeMismatchIsAnError) {
  DataTransformer t(TransformationParameter(), TEST);
  Blob out(1, 1, 3, 3);
  EXPECT_THROW(t.Transform(Grid(), &out), Error);
  Datum short_datum = Grid();
  short_datum.set_data("abc");
  Blob right(1, 1, 4, 5);
  EXPECT_THROW(t.Transform(short_datum, &right), Error);
  DataTransformer crop(ParseText<TransformationParameter>("crop_size: 6"), TEST);
  EXPECT_THROW(crop.InferBlobShape(Grid()), Error);
}

TEST(DataTransformerTest, StateRestoresRandomDraws) {
  const auto param = ParseText<TransformationParameter>("crop_size: 2 mirror: true");
  DataTransformer a(param, TRAIN);
  Blob out(1, 1, 2, 2);
  for (int i = 0; i < 5; ++i) a.Transform(Grid(), &out);
  const std::string state = a.SaveState();
  std::vector<float> expected;
  for (int i = 0; i < 20; ++i) {
    a.Transform(Grid(), &out);
    expected.insert(expected.end(), out.cpu_data(), out.cpu_data() + 4);
  }
  DataTransformer b(param, TRAIN);
  b.RestoreState(state);
  std::vector<float> got;
  for (int i = 0; i < 20; ++i) {
    b.Transform(Grid(), &out);
    got.insert(got.end(), out.cpu_data(), out.cpu_data() + 4);
  }
  EXPECT_EQ(got, expected);
  EXPECT_THROW(b.RestoreState("junk"), Error);
}

}  // namespace
}  // namespace crema
