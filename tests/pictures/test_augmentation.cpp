// Augmentation beyond crop and mirror (crema's TransformationParameter
// fields): the statistics of 1000 transformed images match the requested
// ranges, TEST is untouched, and a run with augmentation resumes bit for bit.
#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>

#include "crema/data/data_transformer.hpp"
#include "crema/io/proto_io.hpp"
#include "crema/solver.hpp"
#include "e2e/e2e_util.hpp"
#include "solver/solver_test_util.hpp"
#include "support/test_util.hpp"

namespace crema {
namespace {

using testing::ParseText;

constexpr int kDraws = 1000;

// A C x H x W byte datum with pixel(c, h, w) = value(c, h, w).
Datum MakeImage(int channels, int height, int width,
                const std::function<int(int, int, int)>& value) {
  Datum datum;
  datum.set_channels(channels);
  datum.set_height(height);
  datum.set_width(width);
  std::string bytes;
  for (int c = 0; c < channels; ++c) {
    for (int h = 0; h < height; ++h) {
      for (int w = 0; w < width; ++w) bytes.push_back(static_cast<char>(value(c, h, w)));
    }
  }
  datum.set_data(bytes);
  return datum;
}

// Transforms the datum kDraws times, calling measure on each result.
void Draw(const std::string& param, const Datum& datum,
          const std::function<void(const Blob&)>& measure) {
  Crema::set_random_seed(7);
  DataTransformer transformer(ParseText<TransformationParameter>(param), TRAIN);
  Blob out(transformer.InferBlobShape(datum));
  for (int i = 0; i < kDraws; ++i) {
    transformer.Transform(datum, &out);
    measure(out);
  }
}

struct Stats {
  double lo = 1e30, hi = -1e30, sum = 0;
  int n = 0, inside_middle_half = 0;
  void Add(double v) {
    lo = std::min(lo, v);
    hi = std::max(hi, v);
    sum += v;
    ++n;
  }
  double mean() const { return sum / n; }
};

// For a uniform draw in [a, b]: all inside, both ends nearly reached, the
// mean in the middle.
void ExpectUniform(const Stats& s, double a, double b, double tolerance) {
  const double span = b - a;
  EXPECT_GE(s.lo, a - tolerance);
  EXPECT_LE(s.hi, b + tolerance);
  EXPECT_LT(s.lo, a + 0.03 * span + tolerance);
  EXPECT_GT(s.hi, b - 0.03 * span - tolerance);
  EXPECT_NEAR(s.mean(), (a + b) / 2, 0.04 * span + tolerance);
}

TEST(AugmentationTest, RandomScaleAndAspectCoverTheRequestedRanges) {
  // Channel 0 rises by 3 per column, channel 1 by 3 per row: the output's
  // slopes are the region's width and height over the input's.
  const int size = 64;
  const Datum ramps = MakeImage(3, size, size, [](int c, int h, int w) {
    return c == 0 ? 3 * w : c == 1 ? 3 * h : 0;
  });
  Stats area, log_ratio;
  Draw("random_scale_min: 0.3 random_scale_max: 0.6 "
       "random_aspect_min: 0.75 random_aspect_max: 1.3333333",
       ramps, [&](const Blob& out) {
         const float* x = out.cpu_data();
         const float* y = x + size * size;
         const double sx = (x[size - 2] - x[1]) / (3.0 * (size - 3));
         const double sy = (y[(size - 2) * size] - y[size]) / (3.0 * (size - 3));
         area.Add(sx * sy);
         log_ratio.Add(std::log(sx / sy));
       });
  ExpectUniform(area, 0.3, 0.6, 0.01);
  ExpectUniform(log_ratio, std::log(0.75), std::log(1.3333333), 0.02);
}

TEST(AugmentationTest, RotationCoversTheRequestedAngles) {
  // A bright bar, shorter than the image, across its middle.
  const Datum bar = MakeImage(1, 64, 64, [](int, int h, int w) {
    return (h >= 30 && h < 34 && w >= 12 && w < 52) ? 255 : 0;
  });
  Stats angle;
  Draw("rotation: 30", bar, [&](const Blob& out) {
    cv::Mat image(64, 64, CV_32F, const_cast<float*>(out.cpu_data()));
    const cv::Moments m = cv::moments(image);
    angle.Add(0.5 * std::atan2(2 * m.mu11, m.mu20 - m.mu02) * 180 / M_PI);
  });
  ExpectUniform(angle, -30, 30, 1.0);
}

TEST(AugmentationTest, ColourJitterCoversTheRequestedFactors) {
  const Datum gray = MakeImage(1, 8, 8, [](int, int, int) { return 100; });
  Stats brightness;
  Draw("brightness: 0.2", gray, [&](const Blob& out) {
    brightness.Add(out.cpu_data()[0] / 100.0);
  });
  ExpectUniform(brightness, 0.8, 1.2, 1e-4);

  const Datum halves = MakeImage(1, 8, 8, [](int, int, int w) { return w < 4 ? 50 : 150; });
  Stats contrast, mean;
  Draw("contrast: 0.3", halves, [&](const Blob& out) {
    contrast.Add((out.cpu_data()[7] - out.cpu_data()[0]) / 100.0);
    mean.Add((out.cpu_data()[7] + out.cpu_data()[0]) / 2);
  });
  ExpectUniform(contrast, 0.7, 1.3, 1e-4);
  EXPECT_NEAR(mean.lo, 100, 1e-3);
  EXPECT_NEAR(mean.hi, 100, 1e-3);

  const Datum colour = MakeImage(3, 4, 4, [](int c, int, int) { return c == 0 ? 50 : c == 1 ? 100 : 200; });
  Stats saturation;
  Draw("saturation: 0.5", colour, [&](const Blob& out) {
    saturation.Add((out.cpu_data()[2 * 16] - out.cpu_data()[0]) / 150.0);  // (R - B) / 150
  });
  ExpectUniform(saturation, 0.5, 1.5, 1e-4);
}

TEST(AugmentationTest, BytesStayWithin0And255) {
  const Datum bright = MakeImage(1, 4, 4, [](int, int, int) { return 240; });
  Stats values;
  Draw("brightness: 1 contrast: 1", bright, [&](const Blob& out) {
    for (int i = 0; i < out.count(); ++i) values.Add(out.cpu_data()[i]);
  });
  EXPECT_GE(values.lo, 0);
  EXPECT_LE(values.hi, 255);
  EXPECT_EQ(values.hi, 255);
}

TEST(AugmentationTest, TestPhaseIsUntouched) {
  const Datum ramps = MakeImage(1, 16, 16, [](int, int h, int w) { return 10 * h + w; });
  DataTransformer plain(TransformationParameter(), TEST);
  DataTransformer augmenting(
      ParseText<TransformationParameter>("rotation: 20 brightness: 0.5 random_scale_min: 0.5"),
      TEST);
  Blob a(plain.InferBlobShape(ramps)), b(a.shape());
  plain.Transform(ramps, &a);
  augmenting.Transform(ramps, &b);
  EXPECT_EQ(0, std::memcmp(a.cpu_data(), b.cpu_data(), a.count() * sizeof(float)));
}

TEST(AugmentationTest, BadRangesAreSentences) {
  auto message = [](const std::string& text) -> std::string {
    try {
      DataTransformer t(ParseText<TransformationParameter>(text), TRAIN, "layer 'data' (Data)");
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_NE(message("random_scale_min: 0").find("layer 'data' (Data): random_scale_min"),
            std::string::npos);
  EXPECT_NE(message("random_scale_min: 0.8 random_scale_max: 0.5").find("0 < min <= max <= 1"),
            std::string::npos);
  EXPECT_NE(message("random_aspect_min: -1").find("random_aspect_min"), std::string::npos);
  EXPECT_NE(message("rotation: 200").find("rotation"), std::string::npos);
  EXPECT_NE(message("saturation: 2").find("saturation"), std::string::npos);
}

TEST(AugmentationTest, SavedStateReplaysTheSameImages) {
  const Datum ramps = MakeImage(3, 20, 20, [](int c, int h, int w) { return 5 * h + 7 * w + c; });
  const auto param = ParseText<TransformationParameter>(
      "random_scale_min: 0.5 random_aspect_min: 0.8 random_aspect_max: 1.25 rotation: 15 "
      "brightness: 0.2 contrast: 0.2 saturation: 0.3 mirror: true crop_size: 16");
  Crema::set_random_seed(3);
  DataTransformer first(param, TRAIN);
  Blob out(first.InferBlobShape(ramps));
  for (int i = 0; i < 5; ++i) first.Transform(ramps, &out);
  const std::string state = first.SaveState();
  std::vector<float> expected;
  for (int i = 0; i < 5; ++i) {
    first.Transform(ramps, &out);
    expected.insert(expected.end(), out.cpu_data(), out.cpu_data() + out.count());
  }
  Crema::set_random_seed(99);
  DataTransformer second(param, TRAIN);
  second.RestoreState(state);
  std::vector<float> replayed;
  for (int i = 0; i < 5; ++i) {
    second.Transform(ramps, &out);
    replayed.insert(replayed.end(), out.cpu_data(), out.cpu_data() + out.count());
  }
  ASSERT_EQ(expected.size(), replayed.size());
  EXPECT_EQ(0, std::memcmp(expected.data(), replayed.data(), expected.size() * sizeof(float)));
}

// ---- a whole run: LeNet on generated digits with augmentation, resumed ----

std::vector<float> Weights(Solver& solver) {
  std::vector<float> out;
  for (const Blob* blob : solver.net().learnable_params()) {
    out.insert(out.end(), blob->cpu_data(), blob->cpu_data() + blob->count());
  }
  return out;
}

SolverParameter AugmentedSolver(const std::string& dir, const std::string& prefix, int max_iter) {
  NetParameter net = testing::LeNetOn(dir + "/train_lmdb", dir + "/test_lmdb", 8, 7);
  for (LayerParameter& layer : *net.mutable_layer()) {
    if (layer.type() != "Data") continue;
    layer.mutable_transform_param()->MergeFrom(ParseText<TransformationParameter>(
        "rotation: 10 random_scale_min: 0.8 random_aspect_min: 0.9 random_aspect_max: 1.1 "
        "brightness: 0.2 contrast: 0.2"));
  }
  WriteProtoToTextFile(net, dir + "/augmented.prototxt");
  return ParseText<SolverParameter>(StrCat(
      "net: '", dir, "/augmented.prototxt' base_lr: 0.01 momentum: 0.9 lr_policy: 'fixed' ",
      "max_iter: ", max_iter, " display: 0 snapshot_prefix: '", dir, "/", prefix,
      "' random_seed: 1701 solver_mode: CPU"));
}

TEST(AugmentationTest, LeNetWithAugmentationResumesBitIdentically) {
  testing::TempDir dir;
  testing::MakeDigitLmdbs(dir.path(), 3, 1);
  constexpr int kHalf = 5;
  auto straight = CreateSolver(AugmentedSolver(dir.path(), "straight", 2 * kHalf));
  straight->Solve();
  {
    auto first = CreateSolver(AugmentedSolver(dir.path(), "half", kHalf));
    first->Solve();
  }
  const std::string state = dir / StrCat("half_iter_", kHalf, ".solverstate");
  auto resumed = CreateSolver(AugmentedSolver(dir.path(), "resumed", 2 * kHalf));
  resumed->Solve(state);
  const auto a = Weights(*straight), b = Weights(*resumed);
  ASSERT_EQ(a.size(), b.size());
  EXPECT_EQ(0, std::memcmp(a.data(), b.data(), a.size() * sizeof(float)));
  // Control: the same resume with the transformer reseeded parts ways.
  SolverState bare;
  ReadProtoFromBinaryFile(state, &bare);
  bare.clear_layer_state();
  bare.clear_rng_state();
  WriteProtoToBinaryFile(bare, dir / "bare.solverstate");
  auto diverged = CreateSolver(AugmentedSolver(dir.path(), "diverged", 2 * kHalf));
  diverged->Solve(dir / "bare.solverstate");
  const auto c = Weights(*diverged);
  EXPECT_NE(0, std::memcmp(a.data(), c.data(), a.size() * sizeof(float)));
}

}  // namespace
}  // namespace crema
