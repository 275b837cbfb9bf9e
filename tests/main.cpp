#include <glog/logging.h>
#include <gtest/gtest.h>

#include "crema/common.hpp"

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  google::InitGoogleLogging(argv[0]);
  FLAGS_logtostderr = 1;
  FLAGS_minloglevel = 1;  // keep test output to warnings and errors
  crema::Crema::set_random_seed(1701);
  return RUN_ALL_TESTS();
}
