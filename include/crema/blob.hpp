// Blob: an N-D array of float32 values (`data`) and their gradients (`diff`),
// the unit of data that layers read (bottom) and write (top).
#ifndef CREMA_BLOB_HPP_
#define CREMA_BLOB_HPP_

#include <memory>
#include <string>
#include <vector>

#include "crema/common.hpp"
#include "crema/proto/crema.pb.h"
#include "crema/syncedmem.hpp"

namespace crema {

// Caffe's limit on the number of axes of a blob.
constexpr int kMaxBlobAxes = 32;

class Blob {
 public:
  Blob() = default;
  explicit Blob(const std::vector<int>& shape) { Reshape(shape); }
  // Legacy 4-D constructor: num x channels x height x width.
  Blob(int num, int channels, int height, int width) {
    Reshape(num, channels, height, width);
  }
  Blob(const Blob&) = delete;
  Blob& operator=(const Blob&) = delete;

  // Changes the shape. Memory is reallocated only when the new count exceeds
  // the capacity; values are kept otherwise (but no longer meaningful).
  void Reshape(const std::vector<int>& shape);
  void Reshape(const BlobShape& shape);
  void Reshape(int num, int channels, int height, int width);
  void ReshapeLike(const Blob& other) { Reshape(other.shape()); }

  const std::vector<int>& shape() const { return shape_; }
  // The size of one axis; negative indices count from the end.
  int shape(int index) const { return shape_[CanonicalAxisIndex(index)]; }
  int num_axes() const { return static_cast<int>(shape_.size()); }
  int count() const { return count_; }
  // Product of the dimensions in [start_axis, end_axis).
  int count(int start_axis, int end_axis) const;
  int count(int start_axis) const { return count(start_axis, num_axes()); }
  // Maps an axis index in [-num_axes, num_axes) to [0, num_axes); throws
  // crema::Error when out of range.
  int CanonicalAxisIndex(int axis_index) const;
  std::string shape_string() const { return ShapeString(shape_); }

  // Legacy accessors: 4-D view with missing axes treated as 1.
  int num() const { return LegacyShape(0); }
  int channels() const { return LegacyShape(1); }
  int height() const { return LegacyShape(2); }
  int width() const { return LegacyShape(3); }
  int LegacyShape(int index) const;

  int offset(int n, int c = 0, int h = 0, int w = 0) const;
  int offset(const std::vector<int>& indices) const;

  float data_at(int n, int c, int h, int w) const {
    return cpu_data()[offset(n, c, h, w)];
  }
  float diff_at(int n, int c, int h, int w) const {
    return cpu_diff()[offset(n, c, h, w)];
  }

  const float* cpu_data() const;
  const float* cpu_diff() const;
  float* mutable_cpu_data();
  float* mutable_cpu_diff();
  // The diff for a gradient to be added into, BLAS-style: *beta is 1 (add
  // to the values there), or 0 where the diff holds zeros not yet written
  // (Net::ClearParamDiffsBeforeBackward), and the caller then writes every
  // value without reading the old ones.
  float* diff_to_accumulate(float* beta);
  const std::shared_ptr<SyncedMemory>& data() const { return data_; }
  const std::shared_ptr<SyncedMemory>& diff() const { return diff_; }
  // Converts data and diff held in an engine's layout back to plain values
  // (syncedmem.hpp says who calls it); a no-op for plain ones.
  void ToPlain();

  // data -= diff (the plain SGD step; solvers write the update into diff).
  void Update();
  float asum_data() const;
  float asum_diff() const;
  float sumsq_data() const;
  float sumsq_diff() const;
  void scale_data(float factor);
  void scale_diff(float factor);

  // Makes this blob use other's data (or diff) buffer; shapes must have
  // equal counts.
  void ShareData(const Blob& other);
  void ShareDiff(const Blob& other);
  // Makes this blob keep its data in `buffer`, which must hold at least
  // count() values (a buffer shared by blobs that are never live together).
  void SetDataBuffer(std::shared_ptr<SyncedMemory> buffer);

  // Copies data (or diff) from source; reshapes if asked, else counts must match.
  void CopyFrom(const Blob& source, bool copy_diff = false, bool reshape = false);

  // Reads a BlobProto (BlobShape or legacy num/channels/height/width, float
  // or double values). Without reshape the shapes must agree.
  void FromProto(const BlobProto& proto, bool reshape = true);
  void ToProto(BlobProto* proto, bool write_diff = false) const;
  // True when proto's shape (either form) equals this blob's.
  bool ShapeEquals(const BlobProto& proto) const;

 private:
  std::vector<int> shape_;
  int count_ = 0;
  size_t capacity_ = 0;
  std::shared_ptr<SyncedMemory> data_;
  std::shared_ptr<SyncedMemory> diff_;
};

// The shape stored in a BlobProto, whichever form it uses.
std::vector<int> BlobProtoShape(const BlobProto& proto);

}  // namespace crema

#endif  // CREMA_BLOB_HPP_
