// Renders synthetic digit images for demos and tests (no download needed).
//   generate_digits [FLAGS] OUT_DIR
#include <gflags/gflags.h>

#include <chrono>
#include <cstdio>

#include "crema/common.hpp"
#include "crema/data/digits.hpp"
#include "crema/tool.hpp"

DEFINE_int32(train_per_class, 1000, "Training images per digit.");
DEFINE_int32(test_per_class, 200, "Test images per digit.");
DEFINE_uint64(seed, 1, "Random seed; the same seed writes the same images.");
DEFINE_int32(size, 28, "Image width and height in pixels.");

int main(int argc, char** argv) {
  return crema::RunTool(
      argc, argv,
      "Renders digits 0-9 with OpenCV's Hershey fonts (random font, scale,\n"
      "rotation, shift, stroke thickness and noise) as grayscale PNGs into\n"
      "OUT_DIR/train/<digit>/ and OUT_DIR/test/<digit>/.\n"
      "Usage:\n"
      "    generate_digits [--train_per_class=1000] [--test_per_class=200]\n"
      "                    [--seed=1] [--size=28] OUT_DIR",
      [](int argc, char** argv) {
        crema::ExpectArgs(argc, 1, 1);
        crema::DigitsOptions options;
        options.train_per_class = FLAGS_train_per_class;
        options.test_per_class = FLAGS_test_per_class;
        options.seed = FLAGS_seed;
        options.size = FLAGS_size;
        const auto start = std::chrono::steady_clock::now();
        const crema::DigitsResult result = crema::GenerateDigits(argv[1], options);
        const double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        std::printf("Wrote %d training and %d test images to %s in %.1f s\n", result.train,
                    result.test, argv[1], seconds);
        return 0;
      });
}
