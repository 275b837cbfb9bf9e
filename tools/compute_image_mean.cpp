// Computes the mean image of an LMDB or LevelDB of Datums.
//   compute_image_mean [FLAGS] INPUT_DB [OUTPUT_FILE]
#include <gflags/gflags.h>

#include <cstdio>

#include "crema/data/image_mean.hpp"
#include "crema/io/proto_io.hpp"
#include "crema/progress.hpp"
#include "crema/tool.hpp"

DEFINE_string(backend, "lmdb", "The database backend: lmdb or leveldb.");

int main(int argc, char** argv) {
  return crema::RunTool(
      argc, argv,
      "Computes the mean image of a database of Datums.\n"
      "Usage:\n"
      "    compute_image_mean [FLAGS] INPUT_DB [OUTPUT_FILE]\n"
      "OUTPUT_FILE (a BlobProto, e.g. mean.binaryproto) is the transform_param\n"
      "mean_file of a Data layer; the per-channel means are printed as well.",
      [](int argc, char** argv) {
        crema::ExpectArgs(argc, 1, 2);
        std::vector<float> channel_means;
        crema::ProgressBar bar("compute_image_mean", 0);
        const crema::BlobProto mean = crema::ComputeImageMean(
            argv[1], FLAGS_backend, &channel_means, [&bar](int64_t done, int64_t total) {
              bar.set_total(total);
              bar.Update(done);
            });
        bar.Finish();
        if (argc == 3) {
          crema::WriteProtoToBinaryFile(mean, argv[2]);
          std::printf("Mean of %d x %d x %d written to %s\n", mean.channels(),
                      mean.height(), mean.width(), argv[2]);
        }
        std::printf("Number of channels: %zu\n", channel_means.size());
        for (size_t c = 0; c < channel_means.size(); ++c) {
          std::printf("mean_value channel [%zu]: %g\n", c, channel_means[c]);
        }
        return 0;
      });
}
