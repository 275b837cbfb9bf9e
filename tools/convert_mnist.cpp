// Converts MNIST's idx files (gzip-compressed or not) into an LMDB or LevelDB.
//   convert_mnist [FLAGS] INPUT_IMAGE_FILE INPUT_LABEL_FILE OUTPUT_DB
#include <gflags/gflags.h>

#include <cstdio>

#include "crema/data/mnist.hpp"
#include "crema/tool.hpp"

DEFINE_string(backend, "lmdb", "The database backend: lmdb or leveldb.");

int main(int argc, char** argv) {
  return crema::RunTool(
      argc, argv,
      "Converts the MNIST data set (idx files, .gz or not) to an LMDB or LevelDB of Datums\n"
      "(--backend=lmdb|leveldb).\n"
      "Usage:\n"
      "    convert_mnist [FLAGS] INPUT_IMAGE_FILE INPUT_LABEL_FILE OUTPUT_DB\n"
      "The files are at http://yann.lecun.com/exdb/mnist/ (see data/mnist/get_mnist.sh).",
      [](int argc, char** argv) {
        crema::ExpectArgs(argc, 3, 3);
        const int64_t count = crema::ConvertMnist(argv[1], argv[2], argv[3], FLAGS_backend);
        std::printf("Wrote %lld images to %s\n", static_cast<long long>(count), argv[3]);
        return 0;
      });
}
