// tools/calibrate end to end: a LeNet with saved weights, a folder of
// generated digit images, and the calibration file it writes.
#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>

#include <string>

#include "compat/tool_runner.hpp"
#include "crema/common.hpp"
#include "crema/data/digits.hpp"
#include "crema/io/proto_io.hpp"
#include "crema/io/upgrade_proto.hpp"
#include "crema/net.hpp"
#include "crema/proto/crema.pb.h"
#include "solver/solver_test_util.hpp"

namespace crema {
namespace testing {
namespace {

class CalibrateToolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!FileExists(ToolPath("calibrate"))) GTEST_SKIP() << "tools/calibrate not built";
    NetParameter param;
    ReadNetParamsFromTextFile(CREMA_SOURCE_DIR "/models/lenet/deploy.prototxt", &param);
    Net net(param);  // random weights and biases, as the fillers give them
    for (const char* layer : {"conv1", "conv2", "ip1", "ip2"}) {
      Blob& bias = *net.layer_by_name(layer)->blobs()[1];
      for (int i = 0; i < bias.count(); ++i) bias.mutable_cpu_data()[i] = 0.01f * (i % 7);
    }
    NetParameter weights;
    net.ToProto(&weights);
    WriteProtoToBinaryFile(weights, dir_ / "lenet.caffemodel");
    std::filesystem::create_directory(dir_ / "images");
    cv::RNG rng(4);
    for (int i = 0; i < 24; ++i) {
      cv::imwrite(dir_ / StrCat("images/", i, ".png"), RenderDigit(i % 10, 28, &rng));
    }
  }

  int Calibrate(const std::vector<std::string>& extra) {
    std::vector<std::string> args = {
        StrCat("--model=", CREMA_SOURCE_DIR, "/models/lenet/deploy.prototxt"),
        "--weights=" + (dir_ / "lenet.caffemodel"), "--data=" + (dir_ / "images"),
        "--iterations=1", "--scale=0.00390625", "--output=" + (dir_ / "calibration.prototxt")};
    args.insert(args.end(), extra.begin(), extra.end());
    return RunToolBinary("calibrate", args, dir_ / "log.txt");
  }

  TempDir dir_;
};

TEST_F(CalibrateToolTest, WritesRangesAndBiasCorrections) {
  ASSERT_EQ(Calibrate({}), 0) << ReadFileToString(dir_ / "log.txt");
  CalibrationParameter c;
  ReadProtoFromTextFile(dir_ / "calibration.prototxt", &c);
  EXPECT_EQ(c.method(), "mse");
  ASSERT_EQ(c.layer_size(), 4);
  const int outputs[] = {20, 50, 500, 10};
  for (int l = 0; l < 4; ++l) {
    const LayerCalibration& layer = c.layer(l);
    EXPECT_GT(layer.input_max(), 0.f) << layer.name();
    EXPECT_EQ(layer.weight_scale_size(), outputs[l]) << layer.name();
    EXPECT_EQ(layer.bias_correction_size(), outputs[l]) << layer.name();
  }
  // The images are 0..255 scaled by 1/256: conv1's inputs lie below 1.
  EXPECT_LE(c.layer(0).input_max(), 1.f);
  EXPECT_FALSE(c.layer(0).input_signed());
  EXPECT_TRUE(c.layer(1).input_signed());  // conv1 has no ReLU after it

  ASSERT_EQ(Calibrate({"--bias_correction=false"}), 0) << ReadFileToString(dir_ / "log.txt");
  ReadProtoFromTextFile(dir_ / "calibration.prototxt", &c);
  for (const LayerCalibration& layer : c.layer()) EXPECT_EQ(layer.bias_correction_size(), 0);
}

TEST_F(CalibrateToolTest, AnUnknownMethodIsOneSentence) {
  EXPECT_EQ(Calibrate({"--method=kl"}), 1);
  EXPECT_NE(ReadFileToString(dir_ / "log.txt").find("Unknown calibration method 'kl'"),
            std::string::npos)
      << ReadFileToString(dir_ / "log.txt");
}

}  // namespace
}  // namespace testing
}  // namespace crema
