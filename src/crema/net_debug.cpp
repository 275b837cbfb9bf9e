// debug_info: the magnitudes of each layer's outputs, gradients and updates,
// in Caffe's log format.
#include <algorithm>

#include "crema/net.hpp"

namespace crema {

void Net::ForwardDebugInfo(int layer_id) const {
  for (size_t t = 0; t < top_vecs_[layer_id].size(); ++t) {
    top_vecs_[layer_id][t]->ToPlain();  // debug output reads plain values
    const Blob& blob = *top_vecs_[layer_id][t];
    LOG(INFO) << "    [Forward] Layer " << layer_names_[layer_id] << ", top blob "
              << blob_names_[top_id_vecs_[layer_id][t]] << " data: "
              << blob.asum_data() / std::max(1, blob.count());
  }
  for (size_t p = 0; p < layers_[layer_id]->blobs().size(); ++p) {
    layers_[layer_id]->blobs()[p]->ToPlain();
    const Blob& blob = *layers_[layer_id]->blobs()[p];
    LOG(INFO) << "    [Forward] Layer " << layer_names_[layer_id] << ", param blob "
              << param_info_[param_id_vecs_[layer_id][p]].display_name << " data: "
              << blob.asum_data() / std::max(1, blob.count());
  }
}

void Net::BackwardDebugInfo(int layer_id) const {
  for (size_t b = 0; b < bottom_vecs_[layer_id].size(); ++b) {
    if (!bottom_need_backward_[layer_id][b]) continue;
    bottom_vecs_[layer_id][b]->ToPlain();  // debug output reads plain values
    const Blob& blob = *bottom_vecs_[layer_id][b];
    LOG(INFO) << "    [Backward] Layer " << layer_names_[layer_id] << ", bottom blob "
              << blob_names_[bottom_id_vecs_[layer_id][b]] << " diff: "
              << blob.asum_diff() / std::max(1, blob.count());
  }
  for (size_t p = 0; p < layers_[layer_id]->blobs().size(); ++p) {
    if (!layers_[layer_id]->param_propagate_down(static_cast<int>(p))) continue;
    const Blob& blob = *layers_[layer_id]->blobs()[p];
    LOG(INFO) << "    [Backward] Layer " << layer_names_[layer_id] << ", param blob "
              << p << " diff: " << blob.asum_diff() / std::max(1, blob.count());
  }
}

void Net::UpdateDebugInfo(int param_id) const {
  const Blob& blob = *params_[param_id];
  const NetParam& info = param_info_[param_id];
  const std::string& layer_name = layer_names_[info.layer_id];
  const float diff = blob.asum_diff() / std::max(1, blob.count());
  if (info.owner < 0) {
    LOG(INFO) << "    [Update] Layer " << layer_name << ", param " << info.display_name
              << " data: " << blob.asum_data() / std::max(1, blob.count())
              << "; diff: " << diff;
  } else {
    const NetParam& owner = param_info_[info.owner];
    LOG(INFO) << "    [Update] Layer " << layer_name << ", param blob " << info.display_name
              << " (owned by layer " << layer_names_[owner.layer_id] << ", param "
              << owner.display_name << ") diff: " << diff;
  }
}

}  // namespace crema
