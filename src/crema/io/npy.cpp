#include "crema/io/npy.hpp"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

#include "crema/common.hpp"

namespace crema {

std::string NpyHeader(const std::vector<int64_t>& shape, size_t min_size) {
  std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (";
  for (size_t i = 0; i < shape.size(); ++i) {
    dict += std::to_string(shape[i]);
    if (shape.size() == 1 || i + 1 < shape.size()) dict += ",";
    if (i + 1 < shape.size()) dict += " ";
  }
  dict += "), }";
  // magic (6) + version (2) + header length (2) + dict + padding + '\n'.
  size_t total = 10 + dict.size() + 1;
  total = std::max(total, min_size);
  total = (total + 63) / 64 * 64;
  const size_t header_len = total - 10;
  if (header_len > 65535) Throw("The .npy header for this shape is too long.");
  dict.append(header_len - dict.size() - 1, ' ');
  dict += '\n';
  std::string header("\x93NUMPY", 6);
  header += static_cast<char>(1);
  header += static_cast<char>(0);
  header += static_cast<char>(header_len & 0xff);
  header += static_cast<char>((header_len >> 8) & 0xff);
  return header + dict;
}

NpyWriter::NpyWriter(const std::string& path, const std::vector<int64_t>& inner_shape)
    : path_(path), inner_shape_(inner_shape) {
  for (int64_t dim : inner_shape_) row_size_ *= dim;
  out_.open(path_, std::ios::binary | std::ios::trunc);
  if (!out_) Throw("Cannot create '", path_, "': ", std::strerror(errno));
  // Room for a row count of up to 19 digits, so the final header fits.
  std::vector<int64_t> widest{INT64_MAX};
  widest.insert(widest.end(), inner_shape_.begin(), inner_shape_.end());
  header_size_ = NpyHeader(widest).size();
  std::vector<int64_t> empty{0};
  empty.insert(empty.end(), inner_shape_.begin(), inner_shape_.end());
  out_ << NpyHeader(empty, header_size_);
}

NpyWriter::~NpyWriter() {
  if (out_.is_open()) {
    try {
      Close();
    } catch (const Error& e) {
      LOG(ERROR) << e.what();
    }
  }
}

void NpyWriter::Append(const float* values, int64_t rows) {
  static_assert(sizeof(float) == 4, "float32");
  out_.write(reinterpret_cast<const char*>(values),
             static_cast<std::streamsize>(rows * row_size_ * sizeof(float)));
  if (!out_) Throw("Writing '", path_, "' failed: ", std::strerror(errno));
  rows_ += rows;
}

void NpyWriter::Close() {
  std::vector<int64_t> shape{rows_};
  shape.insert(shape.end(), inner_shape_.begin(), inner_shape_.end());
  const std::string header = NpyHeader(shape, header_size_);
  CHECK_EQ(header.size(), header_size_);
  out_.seekp(0);
  out_ << header;
  out_.close();
  if (out_.fail()) Throw("Writing '", path_, "' failed: ", std::strerror(errno));
}

void WriteNpy(const std::string& path, const std::vector<int64_t>& shape, const float* values) {
  std::vector<int64_t> inner(shape.begin() + (shape.empty() ? 0 : 1), shape.end());
  NpyWriter writer(path, inner);
  writer.Append(values, shape.empty() ? 1 : shape[0]);
  writer.Close();
}

}  // namespace crema
