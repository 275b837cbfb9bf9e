// Converts MNIST's idx files (gzip-compressed or not) into an LMDB.
//   convert_mnist [FLAGS] INPUT_IMAGE_FILE INPUT_LABEL_FILE OUTPUT_DB
#include <gflags/gflags.h>
#include <glog/logging.h>

#include <cstdio>
#include <iostream>

#include "crema/common.hpp"
#include "crema/data/mnist.hpp"

DEFINE_string(backend, "lmdb", "The database backend (only lmdb is built in).");

int main(int argc, char** argv) {
  FLAGS_logtostderr = 1;
  google::InitGoogleLogging(argv[0]);
  gflags::SetUsageMessage(
      "Converts the MNIST data set (idx files, .gz or not) to an LMDB of Datums.\n"
      "Usage:\n"
      "    convert_mnist [FLAGS] INPUT_IMAGE_FILE INPUT_LABEL_FILE OUTPUT_DB\n"
      "The files are at http://yann.lecun.com/exdb/mnist/ (see data/mnist/get_mnist.sh).");
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  if (argc != 4) {
    gflags::ShowUsageWithFlagsRestrict(argv[0], "tools/convert_mnist");
    return 1;
  }
  try {
    const int64_t count = crema::ConvertMnist(argv[1], argv[2], argv[3], FLAGS_backend);
    std::printf("Wrote %lld images to %s\n", static_cast<long long>(count), argv[3]);
  } catch (const crema::Error& e) {
    std::cerr << "convert_mnist: " << e.what() << std::endl;
    return 1;
  }
  return 0;
}
