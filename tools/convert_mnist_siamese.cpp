// Pairs MNIST images for Caffe's siamese example (examples/siamese): each
// record is two images stacked as channels, labelled 1 for the same digit.
//   convert_mnist_siamese [FLAGS] INPUT_IMAGE_FILE INPUT_LABEL_FILE OUTPUT_DB
#include <gflags/gflags.h>

#include <cstdio>

#include "crema/data/mnist.hpp"
#include "crema/tool.hpp"

DEFINE_string(backend, "leveldb", "The database backend: leveldb (Caffe's) or lmdb.");
DEFINE_int64(pairs, 0, "How many pairs to write (0: as many as there are images).");
DEFINE_uint64(seed, 1, "Seed of the random pairing; the same seed gives the same pairs.");

int main(int argc, char** argv) {
  return crema::RunTool(
      argc, argv,
      "Writes random pairs of MNIST images (idx files, .gz or not) as 2-channel\n"
      "Datums, label 1 when both show the same digit, 0 otherwise: the data of\n"
      "Caffe's siamese example (mnist_siamese_train_test.prototxt).\n"
      "Usage:\n"
      "    convert_mnist_siamese [FLAGS] INPUT_IMAGE_FILE INPUT_LABEL_FILE OUTPUT_DB",
      [](int argc, char** argv) {
        crema::ExpectArgs(argc, 3, 3);
        crema::SiameseOptions options;
        options.backend = FLAGS_backend;
        options.pairs = FLAGS_pairs;
        options.seed = FLAGS_seed;
        if (options.pairs < 0) crema::Throw("--pairs must not be negative.");
        const int64_t count = crema::ConvertMnistSiamese(argv[1], argv[2], argv[3], options);
        std::printf("Wrote %lld pairs to %s\n", static_cast<long long>(count), argv[3]);
        return 0;
      });
}
