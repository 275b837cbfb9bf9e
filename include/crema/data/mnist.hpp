// MNIST's idx files (images and labels, gzip-compressed or not) into a
// database of Datums, as Caffe's convert_mnist_data: 1 x rows x cols uint8
// pixels, keys "%08d".
#ifndef CREMA_DATA_MNIST_HPP_
#define CREMA_DATA_MNIST_HPP_

#include <cstdint>
#include <string>

namespace crema {

// Returns the number of records written. Throws crema::Error naming the
// file when one is missing, truncated or not an idx file of the right kind,
// or when the image and label counts differ.
int64_t ConvertMnist(const std::string& image_file, const std::string& label_file,
                     const std::string& db_path, const std::string& backend = "lmdb");

// Image pairs for a siamese net, as Caffe's convert_mnist_siamese_data:
// each record is a 2 x rows x cols Datum holding two images picked at
// random (channel 0 and channel 1), labelled 1 when their digits are the
// same and 0 otherwise, under keys "%08d".
struct SiameseOptions {
  std::string backend = "leveldb";  // what Caffe's siamese example reads
  int64_t pairs = 0;                // 0: as many pairs as images
  uint64_t seed = 1;
};

int64_t ConvertMnistSiamese(const std::string& image_file, const std::string& label_file,
                            const std::string& db_path, const SiameseOptions& options);

}  // namespace crema

#endif  // CREMA_DATA_MNIST_HPP_
