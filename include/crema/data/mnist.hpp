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

}  // namespace crema

#endif  // CREMA_DATA_MNIST_HPP_
