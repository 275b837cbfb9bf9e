#include "crema/layers/parameter_layer.hpp"

#include "crema/layer_registry.hpp"

namespace crema {

void ParameterLayer::LayerSetUp(const std::vector<Blob*>& bottom,
                                const std::vector<Blob*>& top) {
  const BlobShape& shape = layer_param_.parameter_param().shape();
  if (blobs_.empty()) {
    blobs_.push_back(std::make_shared<Blob>());
    blobs_[0]->Reshape(shape);
  } else {
    Blob expected;
    expected.Reshape(shape);
    if (blobs_.size() != 1 || blobs_[0]->shape() != expected.shape()) {
      Fail("the stored parameter blob ", blobs_[0]->shape_string(),
           " does not match parameter_param.shape ", expected.shape_string(), ".");
    }
  }
  param_propagate_down_.assign(blobs_.size(), true);
  top[0]->Reshape(shape);
}

void ParameterLayer::Reshape(const std::vector<Blob*>& bottom,
                             const std::vector<Blob*>& top) {}

void ParameterLayer::Forward_cpu(const std::vector<Blob*>& bottom,
                                 const std::vector<Blob*>& top) {
  // The top is the parameter: gradients written to it land in the
  // parameter's diff.
  top[0]->ShareData(*blobs_[0]);
  top[0]->ShareDiff(*blobs_[0]);
}

void ParameterLayer::Backward_cpu(const std::vector<Blob*>& top,
                                  const std::vector<bool>& propagate_down,
                                  const std::vector<Blob*>& bottom) {}

CREMA_REGISTER_LAYER("Parameter", ParameterLayer);

}  // namespace crema
