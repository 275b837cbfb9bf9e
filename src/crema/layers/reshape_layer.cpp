#include "crema/layers/reshape_layer.hpp"

#include "crema/layer_registry.hpp"

namespace crema {

void ReshapeLayer::LayerSetUp(const std::vector<Blob*>& bottom,
                              const std::vector<Blob*>& top) {
  if (top[0] == bottom[0]) Fail("cannot work in place.");
  copy_axes_.clear();
  inferred_axis_ = -1;
  constant_count_ = 1;
  const BlobShape& shape = layer_param_.reshape_param().shape();
  for (int i = 0; i < shape.dim_size(); ++i) {
    const int64_t dim = shape.dim(i);
    if (dim == 0) {
      copy_axes_.push_back(i);
    } else if (dim == -1) {
      if (inferred_axis_ != -1) {
        Fail("reshape_param.shape has more than one -1; at most one "
             "dimension can be inferred.");
      }
      inferred_axis_ = i;
    } else if (dim < -1) {
      Fail("reshape_param.shape has dimension ", dim, " at position ", i,
           "; dimensions must be positive, 0 (copy) or -1 (infer).");
    } else {
      constant_count_ *= static_cast<int>(dim);
    }
  }
}

void ReshapeLayer::Reshape(const std::vector<Blob*>& bottom,
                           const std::vector<Blob*>& top) {
  const ReshapeParameter& param = layer_param_.reshape_param();
  const Blob& in = *bottom[0];
  const int in_axes = in.num_axes();
  // A negative axis counts from the end, -1 meaning "after the last axis".
  const int start_axis = param.axis() >= 0 ? param.axis() : in_axes + param.axis() + 1;
  if (start_axis < 0 || start_axis > in_axes) {
    Fail("reshape_param.axis ", param.axis(), " is out of range for the bottom ",
         in.shape_string(), ".");
  }
  if (param.num_axes() < -1) {
    Fail("reshape_param.num_axes must be >= 0, or -1 for all remaining axes; got ",
         param.num_axes(), ".");
  }
  const int end_axis = param.num_axes() == -1 ? in_axes : start_axis + param.num_axes();
  if (end_axis > in_axes) {
    Fail("reshape_param.axis + num_axes = ", end_axis, " is past the last axis "
         "of the bottom ", in.shape_string(), ".");
  }

  // Bottom axes before start_axis, the new dimensions, bottom axes from end_axis.
  const BlobShape& new_dims = param.shape();
  std::vector<int> top_shape(in.shape().begin(), in.shape().begin() + start_axis);
  for (int i = 0; i < new_dims.dim_size(); ++i) {
    top_shape.push_back(static_cast<int>(new_dims.dim(i)));
  }
  for (int i = end_axis; i < in_axes; ++i) top_shape.push_back(in.shape(i));

  for (int copy_axis : copy_axes_) {
    if (start_axis + copy_axis >= in_axes) {
      Fail("reshape_param.shape has a 0 at position ", copy_axis,
           " but the bottom ", in.shape_string(), " has no axis there to copy.");
    }
    top_shape[start_axis + copy_axis] = in.shape(start_axis + copy_axis);
  }
  if (inferred_axis_ >= 0) {
    int64_t explicit_count = constant_count_;
    explicit_count *= in.count(0, start_axis);
    explicit_count *= in.count(end_axis);
    for (int copy_axis : copy_axes_) explicit_count *= top_shape[start_axis + copy_axis];
    if (explicit_count == 0 || in.count() % explicit_count != 0) {
      Fail("cannot infer the -1 dimension: the bottom ", in.shape_string(),
           " has ", in.count(), " elements, which is not a multiple of the ",
           explicit_count, " given by the other dimensions.");
    }
    top_shape[start_axis + inferred_axis_] = static_cast<int>(in.count() / explicit_count);
  }
  int64_t top_count = 1;
  for (int d : top_shape) top_count *= d;
  if (top_count != in.count()) {
    Fail("the new shape ", ShapeString(top_shape), " does not have as many "
         "elements as the bottom ", in.shape_string(), ".");
  }
  top[0]->Reshape(top_shape);
  top[0]->ShareData(in);
  top[0]->ShareDiff(in);
}

CREMA_REGISTER_LAYER("Reshape", ReshapeLayer);

}  // namespace crema
