// The model zoo's deploy nets build, and their learnable-parameter counts
// equal the published figures.
#include <gtest/gtest.h>

#include "crema/net.hpp"

namespace crema {
namespace {

int64_t LearnableCount(const Net& net) {
  int64_t total = 0;
  for (const Blob* blob : net.learnable_params()) total += blob->count();
  return total;
}

std::string ModelPath(const std::string& relative) {
  return std::string(CREMA_SOURCE_DIR) + "/models/" + relative;
}

TEST(ZooTest, LeNetDeploy) {
  Net net(ModelPath("lenet/deploy.prototxt"), TEST);
  EXPECT_EQ(431080, LearnableCount(net));
  EXPECT_EQ(std::vector<int>({64, 10}), net.blob_by_name("prob")->shape());
}

TEST(ZooTest, AlexNetDeployHasPublishedParameterCount) {
  Net net(ModelPath("alexnet/deploy.prototxt"), TEST);
  EXPECT_EQ(60965224, LearnableCount(net));
  EXPECT_EQ(std::vector<int>({10, 256, 6, 6}), net.blob_by_name("pool5")->shape());
  EXPECT_EQ(std::vector<int>({10, 1000}), net.blob_by_name("prob")->shape());
}

TEST(ZooTest, VGG16DeployHasPublishedParameterCount) {
  Net net(ModelPath("vgg16/deploy.prototxt"), TEST);
  EXPECT_EQ(138357544, LearnableCount(net));
  EXPECT_EQ(std::vector<int>({10, 512, 7, 7}), net.blob_by_name("pool5")->shape());
}

}  // namespace
}  // namespace crema
