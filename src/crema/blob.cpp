#include "crema/blob.hpp"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstring>

#include "crema/math/math_functions.hpp"

namespace crema {
namespace {

// An offset may name any position up to one past the end of an axis (as in
// Caffe), so that callers can form end pointers.
void CheckOffsetIndex(const Blob& blob, int axis, int index, int size) {
  if (index < 0 || index > size) {
    Throw("Index ", index, " on axis ", axis, " is out of range for a blob of shape ",
          blob.shape_string(), "; it must be in [0, ", size, "].");
  }
}

// Blobs share a buffer only when they hold as many values.
void CheckSameCount(const Blob& blob, const Blob& other, const char* what) {
  if (other.count() != blob.count()) {
    Throw("A blob of shape ", blob.shape_string(), " cannot share the ", what,
          " of a blob of shape ", other.shape_string(), "; their counts must be equal.");
  }
}

}  // namespace

void Blob::Reshape(const std::vector<int>& shape) {
  if (shape.size() > static_cast<size_t>(kMaxBlobAxes)) {
    Throw("A blob can have at most ", kMaxBlobAxes, " axes, got ",
          shape.size(), ".");
  }
  int64_t count = 1;
  for (int dim : shape) {
    if (dim < 0) {
      Throw("Blob dimensions must be >= 0, got shape ", ShapeString(shape), ".");
    }
    count *= dim;
    if (count > INT_MAX) {
      Throw("Blob shape ", ShapeString(shape), " exceeds INT_MAX elements.");
    }
  }
  shape_ = shape;
  count_ = static_cast<int>(count);
  // Grow when this blob's own capacity, or a buffer it shares with another
  // blob, is too small.
  const size_t bytes = static_cast<size_t>(count_) * sizeof(float);
  if (static_cast<size_t>(count_) > capacity_ || !data_ || data_->size() < bytes ||
      diff_->size() < bytes) {
    capacity_ = count_;
    data_ = std::make_shared<SyncedMemory>(capacity_ * sizeof(float));
    diff_ = std::make_shared<SyncedMemory>(capacity_ * sizeof(float));
  }
}

void Blob::Reshape(const BlobShape& shape) {
  if (shape.dim_size() > kMaxBlobAxes) {
    Throw("A blob can have at most ", kMaxBlobAxes, " axes, got ",
          shape.dim_size(), ".");
  }
  std::vector<int> dims(shape.dim_size());
  for (int i = 0; i < shape.dim_size(); ++i) {
    if (shape.dim(i) > INT_MAX || shape.dim(i) < 0) {
      Throw("Blob dimension ", i, " is ", shape.dim(i), "; a dimension must be in [0, ",
            INT_MAX, "].");
    }
    dims[i] = static_cast<int>(shape.dim(i));
  }
  Reshape(dims);
}

void Blob::Reshape(int num, int channels, int height, int width) {
  Reshape(std::vector<int>{num, channels, height, width});
}

int Blob::count(int start_axis, int end_axis) const {
  if (start_axis < 0 || start_axis > end_axis || end_axis > num_axes()) {
    Throw("Cannot count the axes [", start_axis, ", ", end_axis, ") of a blob of shape ",
          shape_string(), "; they must satisfy 0 <= start <= end <= ", num_axes(), ".");
  }
  int c = 1;
  for (int i = start_axis; i < end_axis; ++i) c *= shape_[i];
  return c;
}

int Blob::CanonicalAxisIndex(int axis_index) const {
  const int n = num_axes();
  if (axis_index < -n || axis_index >= n) {
    Throw("Axis ", axis_index, " is out of range for a blob with ", n,
          " axes (shape ", shape_string(), ").");
  }
  return axis_index < 0 ? axis_index + n : axis_index;
}

int Blob::LegacyShape(int index) const {
  if (num_axes() > 4) {
    Throw("num/channels/height/width need a blob of at most 4 axes; shape is ",
          shape_string(), ".");
  }
  if (index >= num_axes() || index < -num_axes()) return 1;
  return shape(index);
}

int Blob::offset(int n, int c, int h, int w) const {
  CheckOffsetIndex(*this, 0, n, num());
  CheckOffsetIndex(*this, 1, c, channels());
  CheckOffsetIndex(*this, 2, h, height());
  CheckOffsetIndex(*this, 3, w, width());
  return ((n * channels() + c) * height() + h) * width() + w;
}

int Blob::offset(const std::vector<int>& indices) const {
  if (indices.size() > shape_.size()) {
    Throw("An offset into a blob of shape ", shape_string(), " takes at most ", num_axes(),
          " indices, got ", indices.size(), ".");
  }
  int off = 0;
  for (int i = 0; i < num_axes(); ++i) {
    off *= shape_[i];
    if (i < static_cast<int>(indices.size())) {
      CheckOffsetIndex(*this, i, indices[i], shape_[i]);
      off += indices[i];
    }
  }
  return off;
}

const float* Blob::cpu_data() const {
  if (!data_) Throw("This blob has no shape yet: Reshape it before using its values.");
  return static_cast<const float*>(data_->cpu_data());
}
const float* Blob::cpu_diff() const {
  if (!diff_) Throw("This blob has no shape yet: Reshape it before using its gradients.");
  return static_cast<const float*>(diff_->cpu_data());
}
float* Blob::mutable_cpu_data() {
  if (!data_) Throw("This blob has no shape yet: Reshape it before using its values.");
  return static_cast<float*>(data_->mutable_cpu_data());
}
float* Blob::mutable_cpu_diff() {
  if (!diff_) Throw("This blob has no shape yet: Reshape it before using its gradients.");
  return static_cast<float*>(diff_->mutable_cpu_data());
}

float* Blob::diff_to_accumulate(float* beta) {
  if (diff_ && diff_->zero_pending()) {
    *beta = 0.f;
    return static_cast<float*>(diff_->overwrite_cpu_data());
  }
  *beta = 1.f;
  return mutable_cpu_diff();
}

void Blob::ToPlain() {
  if (data_) data_->ToPlain();
  if (diff_) diff_->ToPlain();
}

void Blob::Update() {
  if (count_ == 0) return;
  if (uint16_t* copy = data_->bf16_copy(count_)) {
    // An engine reads these values as bf16: refresh its copy in this pass.
    cpu_sub_inplace_with_bf16(count_, cpu_diff(), mutable_cpu_data(), copy);
    data_->Bf16CopyWritten();
    return;
  }
  cpu_axpy(count_, -1.f, cpu_diff(), mutable_cpu_data());
}

float Blob::asum_data() const { return count_ ? cpu_asum(count_, cpu_data()) : 0.f; }
float Blob::asum_diff() const { return count_ ? cpu_asum(count_, cpu_diff()) : 0.f; }
float Blob::sumsq_data() const {
  return count_ ? cpu_dot(count_, cpu_data(), cpu_data()) : 0.f;
}
float Blob::sumsq_diff() const {
  return count_ ? cpu_dot(count_, cpu_diff(), cpu_diff()) : 0.f;
}
void Blob::scale_data(float factor) {
  if (count_) cpu_scal(count_, factor, mutable_cpu_data());
}
void Blob::scale_diff(float factor) {
  if (count_) cpu_scal(count_, factor, mutable_cpu_diff());
}

void Blob::ShareData(const Blob& other) {
  CheckSameCount(*this, other, "data");
  data_ = other.data();
}
void Blob::ShareDiff(const Blob& other) {
  CheckSameCount(*this, other, "diff");
  diff_ = other.diff();
}

void Blob::SetDataBuffer(std::shared_ptr<SyncedMemory> buffer) {
  const size_t needed = static_cast<size_t>(count_) * sizeof(float);
  if (!buffer || buffer->size() < needed) {
    Throw("A blob of shape ", shape_string(), " needs a data buffer of at least ", needed,
          " bytes; got ", buffer ? StrCat(buffer->size(), " bytes") : "none", ".");
  }
  data_ = std::move(buffer);
}

void Blob::CopyFrom(const Blob& source, bool copy_diff, bool reshape) {
  if (source.count() != count_ || source.shape() != shape_) {
    if (reshape) {
      ReshapeLike(source);
    } else if (source.count() != count_) {
      Throw("Cannot copy a blob of shape ", source.shape_string(),
            " into one of shape ", shape_string(), ".");
    }
  }
  if (count_ == 0) return;
  // Every value is overwritten: an engine form the blob held is dead.
  (copy_diff ? diff_ : data_)->discard_values();
  if (copy_diff) {
    std::memcpy(mutable_cpu_diff(), source.cpu_diff(), count_ * sizeof(float));
  } else {
    std::memcpy(mutable_cpu_data(), source.cpu_data(), count_ * sizeof(float));
  }
}

std::vector<int> BlobProtoShape(const BlobProto& proto) {
  std::vector<int> shape;
  if (proto.has_num() || proto.has_channels() || proto.has_height() ||
      proto.has_width()) {
    shape = {proto.num(), proto.channels(), proto.height(), proto.width()};
  } else {
    for (int i = 0; i < proto.shape().dim_size(); ++i) {
      shape.push_back(static_cast<int>(proto.shape().dim(i)));
    }
  }
  return shape;
}

bool Blob::ShapeEquals(const BlobProto& proto) const {
  if (proto.has_num() || proto.has_channels() || proto.has_height() ||
      proto.has_width()) {
    // Legacy 4-D shape: compare through the legacy accessors, as a blob of
    // fewer axes is padded with leading ones in that form.
    return num_axes() <= 4 && LegacyShape(-4) == proto.num() &&
           LegacyShape(-3) == proto.channels() &&
           LegacyShape(-2) == proto.height() && LegacyShape(-1) == proto.width();
  }
  return BlobProtoShape(proto) == shape_;
}

void Blob::FromProto(const BlobProto& proto, bool reshape) {
  const std::vector<int> shape = BlobProtoShape(proto);
  if (!reshape && !ShapeEquals(proto)) {
    Throw("Blob shape mismatch: the stored blob has shape ", ShapeString(shape), " but ",
          shape_string(), " is expected.");
  }
  // A proto that states a shape with elements must carry their values, and
  // the shape is checked against them before anything is allocated: a few
  // bytes that announce a huge shape must not reserve gigabytes.
  const int64_t values = std::max(proto.double_data_size(), proto.data_size());
  int64_t count = shape.empty() ? 0 : 1;
  for (int dim : shape) {
    if (dim < 0) {
      Throw("The stored blob has shape ", ShapeString(shape),
            "; dimensions must be >= 0.");
    }
    count = count > INT_MAX ? count : count * dim;  // stays below 2^62
  }
  if (count > 0 && values == 0) {
    Throw("The stored blob of shape ", ShapeString(shape), " holds no data values; it needs ",
          count > INT_MAX ? "more than INT_MAX" : std::to_string(count), ".");
  }
  if (reshape && values > 0 && values != count) {
    Throw("The stored blob has ", values, " data values but its shape ", ShapeString(shape),
          " needs ", count > INT_MAX ? "more than INT_MAX" : std::to_string(count), ".");
  }
  if (reshape) Reshape(shape);
  auto fill = [this](int n, auto getter, SyncedMemory& mem, const char* what) {
    if (n == 0) return;
    if (n != count_) {
      Throw("The stored blob has ", n, " ", what, " values but its shape ",
            shape_string(), " needs ", count_, ".");
    }
    mem.discard_values();  // every value is overwritten
    float* dst = static_cast<float*>(mem.mutable_cpu_data());
    for (int i = 0; i < n; ++i) dst[i] = static_cast<float>(getter(i));
  };
  if (proto.double_data_size() > 0) {
    fill(proto.double_data_size(), [&](int i) { return proto.double_data(i); },
         *data_, "data");
  } else if (proto.data_size() > 0) {
    fill(proto.data_size(), [&](int i) { return proto.data(i); },
         *data_, "data");
  }
  if (proto.double_diff_size() > 0) {
    fill(proto.double_diff_size(), [&](int i) { return proto.double_diff(i); },
         *diff_, "diff");
  } else if (proto.diff_size() > 0) {
    fill(proto.diff_size(), [&](int i) { return proto.diff(i); },
         *diff_, "diff");
  }
}

void Blob::ToProto(BlobProto* proto, bool write_diff) const {
  proto->Clear();
  for (int dim : shape_) proto->mutable_shape()->add_dim(dim);
  if (count_ == 0) return;
  const float* data = cpu_data();
  proto->mutable_data()->Reserve(count_);
  for (int i = 0; i < count_; ++i) proto->add_data(data[i]);
  if (write_diff) {
    const float* diff = cpu_diff();
    proto->mutable_diff()->Reserve(count_);
    for (int i = 0; i < count_; ++i) proto->add_diff(diff[i]);
  }
}

}  // namespace crema
