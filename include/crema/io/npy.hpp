// Writing float32 arrays as NumPy .npy files (format version 1.0), so that
// numpy.load reads them directly. The writer streams rows to disk and fixes
// the first dimension in the header when it is closed.
#ifndef CREMA_IO_NPY_HPP_
#define CREMA_IO_NPY_HPP_

#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

namespace crema {

// The header (magic, version, length, dict) of a C-order little-endian
// float32 array of this shape, padded with spaces to a multiple of 64 bytes
// (at least min_size bytes in all).
std::string NpyHeader(const std::vector<int64_t>& shape, size_t min_size = 0);

class NpyWriter {
 public:
  // inner_shape: every dimension but the first (e.g. C, H, W). Throws
  // crema::Error when the file cannot be created.
  NpyWriter(const std::string& path, const std::vector<int64_t>& inner_shape);
  ~NpyWriter();
  NpyWriter(const NpyWriter&) = delete;
  NpyWriter& operator=(const NpyWriter&) = delete;

  // Appends `rows` rows of product(inner_shape) floats each.
  void Append(const float* values, int64_t rows);
  // Rewrites the header with the final row count and closes the file.
  void Close();
  int64_t rows() const { return rows_; }

 private:
  std::string path_;
  std::vector<int64_t> inner_shape_;
  int64_t row_size_ = 1;
  int64_t rows_ = 0;
  size_t header_size_ = 0;
  std::ofstream out_;
};

// Writes a whole array at once.
void WriteNpy(const std::string& path, const std::vector<int64_t>& shape, const float* values);

}  // namespace crema

#endif  // CREMA_IO_NPY_HPP_
