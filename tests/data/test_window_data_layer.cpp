// WindowData: foreground/background sampling and labels, the crop shape,
// warping of a known window, context padding and square crops at the image
// border, mirroring, mean and scale, cached images, and bad window files.
#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "crema/layer_registry.hpp"
#include "crema/stateful.hpp"
#include "data/data_test_util.hpp"
#include "support/test_util.hpp"

namespace crema {
namespace {

using testing::ParseText;
using testing::ScratchDir;

struct Tops {
  Blob data, label;
  std::vector<Blob*> vec() { return {&data, &label}; }
};

std::shared_ptr<Layer> MakeLayer(const std::string& text, Tops* tops) {
  auto layer = LayerRegistry::Create(ParseText<LayerParameter>(text));
  layer->SetUp({}, tops->vec());
  return layer;
}

std::string WindowLayer(const ScratchDir& dir, const std::string& window_param,
                        const std::string& transform_param) {
  return "name: 'windows' type: 'WindowData' window_data_param { source: '" +
         (dir / "windows.txt") + "' root_folder: '" + dir.path() + "/' " + window_param +
         " } transform_param { " + transform_param + " }";
}

// One gray 40 x 40 image in four vertical stripes of 10 columns, valued 100,
// 50, 200 and 150, and one window per stripe: class 3 overlap 0.9 (fg),
// class 7 overlap 0.1 (bg, so label 0), class 5 overlap 0.4 (neither, with
// fg_threshold 0.5 and bg_threshold 0.3), class 2 overlap 0.6 (fg).
void WriteStripes(const ScratchDir& dir) {
  cv::Mat image(40, 40, CV_8UC1);
  const int values[] = {100, 50, 200, 150};
  for (int x = 0; x < 40; ++x) image.col(x).setTo(values[x / 10]);
  ASSERT_TRUE(cv::imwrite(dir / "stripes.png", image));
  std::ofstream(dir / "windows.txt") << "# 0\nstripes.png\n1\n40\n40\n4\n"
                                        "3 0.9 0 0 9 39\n"
                                        "7 0.1 10 0 19 39\n"
                                        "5 0.4 20 0 29 39\n"
                                        "2 0.6 30 0 39 39\n";
}

TEST(WindowDataLayerTest, SamplesForegroundAndBackgroundInProportion) {
  ScratchDir dir;
  WriteStripes(dir);
  Tops tops;
  auto layer = MakeLayer(WindowLayer(dir,
                                     "batch_size: 8 fg_threshold: 0.5 bg_threshold: 0.3 "
                                     "fg_fraction: 0.25",
                                     "crop_size: 5"),
                         &tops);
  EXPECT_EQ(tops.data.shape(), (std::vector<int>{8, 1, 5, 5}));
  EXPECT_EQ(tops.label.shape(), (std::vector<int>{8}));
  // The warped stripe is uniform, so its value names the window.
  const std::map<int, int> label_of_value = {{100, 3}, {50, 0}, {150, 2}};
  std::map<int, int> seen;
  for (int iter = 0; iter < 20; ++iter) {
    layer->Forward({}, tops.vec());
    EXPECT_EQ(tops.data.shape(), (std::vector<int>{8, 1, 5, 5}));
    for (int n = 0; n < 8; ++n) {
      const int value = static_cast<int>(tops.data.data_at(n, 0, 2, 2));
      ASSERT_TRUE(label_of_value.count(value)) << "window value " << value;
      EXPECT_EQ(label_of_value.at(value), tops.label.cpu_data()[n]);
      for (int i = 0; i < 25; ++i) {
        ASSERT_EQ(value, tops.data.cpu_data()[tops.data.offset(n) + i]);
      }
      // 8 x 0.25 = 2 foreground items, after the 6 background ones.
      EXPECT_EQ(n >= 6, value != 50) << "item " << n;
      ++seen[value];
    }
  }
  EXPECT_EQ(120, seen[50]);
  EXPECT_EQ(40, seen[100] + seen[150]);
  EXPECT_GT(seen[100], 0);  // both foreground windows are drawn
  EXPECT_GT(seen[150], 0);

  // Mean values and scale: (50 - 10) * 0.5.
  Tops scaled;
  auto mean_layer = MakeLayer(
      WindowLayer(dir, "batch_size: 4 fg_fraction: 0 bg_threshold: 0.3",
                  "crop_size: 3 mean_value: 10 scale: 0.5"),
      &scaled);
  mean_layer->Forward({}, scaled.vec());
  for (int i = 0; i < scaled.data.count(); ++i) ASSERT_EQ(20.f, scaled.data.cpu_data()[i]);
}

// A gray 12 x 10 image with pixel (x, y) = 10 x + y.
cv::Mat Ramp() {
  cv::Mat image(10, 12, CV_8UC1);
  for (int y = 0; y < 10; ++y) {
    for (int x = 0; x < 12; ++x) image.at<uchar>(y, x) = static_cast<uchar>(10 * x + y);
  }
  return image;
}

TEST(WindowDataLayerTest, WarpsAKnownWindowAndMirrors) {
  ScratchDir dir;
  const cv::Mat image = Ramp();
  ASSERT_TRUE(cv::imwrite(dir / "ramp.png", image));
  // Window x 2..5, y 4..7 (4 x 4), foreground class 1.
  std::ofstream(dir / "windows.txt") << "# 0\nramp.png\n1\n10\n12\n1\n1 1.0 2 4 5 7\n";

  // Crop 4: the window itself, pixel for pixel.
  Tops tops;
  auto layer =
      MakeLayer(WindowLayer(dir, "batch_size: 2 fg_fraction: 1", "crop_size: 4"), &tops);
  layer->Forward({}, tops.vec());
  for (int n = 0; n < 2; ++n) {
    EXPECT_EQ(1.f, tops.label.cpu_data()[n]);
    for (int h = 0; h < 4; ++h) {
      for (int w = 0; w < 4; ++w) {
        ASSERT_EQ(10 * (w + 2) + (h + 4), tops.data.data_at(n, 0, h, w)) << h << "," << w;
      }
    }
  }

  // Crop 7: the window resized bilinearly.
  Tops big;
  auto warp = MakeLayer(WindowLayer(dir, "batch_size: 1 fg_fraction: 1", "crop_size: 7"), &big);
  warp->Forward({}, big.vec());
  cv::Mat expected;
  cv::resize(image(cv::Rect(2, 4, 4, 4)), expected, cv::Size(7, 7), 0, 0, cv::INTER_LINEAR);
  for (int h = 0; h < 7; ++h) {
    for (int w = 0; w < 7; ++w) {
      ASSERT_EQ(expected.at<uchar>(h, w), big.data.data_at(0, 0, h, w)) << h << "," << w;
    }
  }

  // Mirror: each item is the window or its mirror image; both occur.
  Tops mirrored;
  auto mirror = MakeLayer(
      WindowLayer(dir, "batch_size: 4 fg_fraction: 1", "crop_size: 4 mirror: true"), &mirrored);
  int flipped = 0, straight = 0;
  for (int iter = 0; iter < 10; ++iter) {
    mirror->Forward({}, mirrored.vec());
    for (int n = 0; n < 4; ++n) {
      const bool flip = mirrored.data.data_at(n, 0, 0, 0) == 10 * 5 + 4;
      (flip ? flipped : straight)++;
      for (int h = 0; h < 4; ++h) {
        for (int w = 0; w < 4; ++w) {
          const int x = flip ? 5 - w : 2 + w;
          ASSERT_EQ(10 * x + (h + 4), mirrored.data.data_at(n, 0, h, w));
        }
      }
    }
  }
  EXPECT_GT(flipped, 0);
  EXPECT_GT(straight, 0);

  // The sampler's state resumes the same draws.
  auto* stateful = dynamic_cast<StatefulLayer*>(mirror.get());
  ASSERT_NE(nullptr, stateful);
  const std::string state = stateful->SaveState();
  mirror->Forward({}, mirrored.vec());
  const std::vector<float> first(mirrored.data.cpu_data(),
                                 mirrored.data.cpu_data() + mirrored.data.count());
  stateful->RestoreState(state);
  mirror->Forward({}, mirrored.vec());
  EXPECT_EQ(first, std::vector<float>(mirrored.data.cpu_data(),
                                      mirrored.data.cpu_data() + mirrored.data.count()));
}

// A window in the top-left corner grown by context_pad: the part above and
// left of the image is zero padding.
TEST(WindowDataLayerTest, ContextPadAndSquareCropsPadAtTheBorder) {
  ScratchDir dir;
  ASSERT_TRUE(cv::imwrite(dir / "flat.png", cv::Mat(10, 10, CV_8UC3, cv::Scalar(100, 100, 100))));
  // Window 0..3 x 0..3 (fg) and window x 0..3, y 0..1 (fg, 4 wide, 2 tall).
  std::ofstream(dir / "windows.txt") << "# 0\nflat.png\n3\n10\n10\n1\n1 1.0 0 0 3 3\n";

  // crop 8, context_pad 2: context scale 8 / (8 - 4) = 2; the window grows
  // to x, y in round(2 -/+ 4) = -2..6 (9 wide), clipped to 0..6 (7 wide);
  // scale 8/9: the image part is round(7 * 8/9) = 6 wide after a padding
  // of round(2 * 8/9) = 2.
  Tops tops;
  auto layer = MakeLayer(
      WindowLayer(dir, "batch_size: 1 fg_fraction: 1 context_pad: 2", "crop_size: 8"), &tops);
  layer->Forward({}, tops.vec());
  EXPECT_EQ(tops.data.shape(), (std::vector<int>{1, 3, 8, 8}));
  for (int c = 0; c < 3; ++c) {
    for (int h = 0; h < 8; ++h) {
      for (int w = 0; w < 8; ++w) {
        const float expected = (h >= 2 && w >= 2) ? 100.f : 0.f;
        ASSERT_EQ(expected, tops.data.data_at(0, c, h, w)) << c << "," << h << "," << w;
      }
    }
  }

  // Square mode on the 4 x 2 window: half sizes both 2, centre (2, 1); y
  // grows to round(1 -/+ 4) = -3..5 (9 tall), clipped to 0..5: padding
  // round(3 * 8/9) = 3 rows, then round(6 * 8/9) = 5 image rows. x as above.
  std::ofstream(dir / "windows.txt") << "# 0\nflat.png\n3\n10\n10\n1\n1 1.0 0 0 3 1\n";
  Tops square;
  auto square_layer = MakeLayer(
      WindowLayer(dir, "batch_size: 1 fg_fraction: 1 context_pad: 2 crop_mode: 'square'",
                  "crop_size: 8"),
      &square);
  square_layer->Forward({}, square.vec());
  for (int h = 0; h < 8; ++h) {
    for (int w = 0; w < 8; ++w) {
      const float expected = (h >= 3 && w >= 2) ? 100.f : 0.f;
      ASSERT_EQ(expected, square.data.data_at(0, 1, h, w)) << h << "," << w;
    }
  }

  // Mirrored, the padding moves to the right: it is the (zero) padding on
  // the window's right side, so the image fills columns 0..5.
  std::ofstream(dir / "windows.txt") << "# 0\nflat.png\n3\n10\n10\n1\n1 1.0 0 0 3 3\n";
  Tops mirrored;
  auto mirror = MakeLayer(WindowLayer(dir,
                                      "batch_size: 8 fg_fraction: 1 context_pad: 2 "
                                      "cache_images: true",
                                      "crop_size: 8 mirror: true"),
                          &mirrored);
  int flipped = 0;
  for (int iter = 0; iter < 4; ++iter) {
    mirror->Forward({}, mirrored.vec());
    for (int n = 0; n < 8; ++n) {
      const bool flip = mirrored.data.data_at(n, 0, 4, 0) != 0.f;
      flipped += flip;
      for (int h = 0; h < 8; ++h) {
        for (int w = 0; w < 8; ++w) {
          const bool inside = h >= 2 && (flip ? w < 6 : w >= 2);
          ASSERT_EQ(inside ? 100.f : 0.f, mirrored.data.data_at(n, 0, h, w))
              << n << ": " << h << "," << w;
        }
      }
    }
  }
  EXPECT_GT(flipped, 0);
  EXPECT_LT(flipped, 32);
}

TEST(WindowDataLayerTest, BadWindowFilesAreNamed) {
  ScratchDir dir;
  ASSERT_TRUE(cv::imwrite(dir / "a.png", cv::Mat(4, 4, CV_8UC1, cv::Scalar(1))));
  const auto error_of = [&](const std::string& file, const std::string& param) {
    std::ofstream(dir / "windows.txt") << file;
    Tops tops;
    try {
      MakeLayer(WindowLayer(dir, param, "crop_size: 2"), &tops);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  std::string msg = error_of("# 0\na.png\n1\n4\n4\n1\n0 0.9 0 0 1 1\n", "batch_size: 2");
  EXPECT_NE(msg.find("class index above 0"), std::string::npos) << msg;
  EXPECT_NE(msg.find("windows.txt"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'windows'"), std::string::npos) << msg;
  msg = error_of("# 0\na.png\n1\n4\n4\n1\n0 0.1 0 0 1 1\n", "batch_size: 4");
  EXPECT_NE(msg.find("no foreground window"), std::string::npos) << msg;
  msg = error_of("0\na.png\n", "batch_size: 1");
  EXPECT_NE(msg.find("'# image_index'"), std::string::npos) << msg;
  msg = error_of("# 0\na.png\n1\n4\n4\n1\n1 0.9 0 0\n", "batch_size: 1");
  EXPECT_NE(msg.find("class_index overlap x1 y1 x2 y2"), std::string::npos) << msg;
  msg = error_of("# 0\nmissing.png\n1\n4\n4\n1\n1 0.9 0 0 1 1\n",
                 "batch_size: 1 fg_fraction: 1 cache_images: true");
  EXPECT_NE(msg.find("missing.png"), std::string::npos) << msg;
}

}  // namespace
}  // namespace crema
