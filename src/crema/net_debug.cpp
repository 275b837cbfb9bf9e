// debug_info: the magnitudes of each layer's outputs, gradients and updates,
// in Caffe's log format; and the numerics watch, which names the first layer
// and blob to hold a NaN or an infinity.
#include <algorithm>
#include <cmath>

#include "crema/net.hpp"

namespace crema {
namespace {

// The index of the first NaN or infinity among values[0, count), or -1.
int FirstNonFinite(const float* values, int count) {
  for (int i = 0; i < count; ++i) {
    if (!std::isfinite(values[i])) return i;
  }
  return -1;
}

std::string NonFiniteName(float value) {
  if (std::isnan(value)) return "NaN";
  return value > 0 ? "+inf" : "-inf";
}

// "NaN at element 3 of 4 x 1": the first non-finite value, or "".
std::string FindNonFinite(const float* values, const Blob& blob) {
  const int at = FirstNonFinite(values, blob.count());
  if (at < 0) return "";
  return StrCat(NonFiniteName(values[at]), " at element ", at, " of ", blob.shape_string());
}

}  // namespace

void Net::CheckForwardNumerics(int layer_id) {
  for (size_t t = 0; t < top_vecs_[layer_id].size(); ++t) {
    Blob& blob = *top_vecs_[layer_id][t];
    blob.ToPlain();  // the check reads plain values
    const std::string found = FindNonFinite(blob.cpu_data(), blob);
    if (found.empty()) continue;
    non_finite_ = StrCat("the forward pass of layer '", layer_names_[layer_id], "' (",
                         layers_[layer_id]->type(), ") put ", found, " into top blob '",
                         blob_names_[top_id_vecs_[layer_id][t]], "'");
    return;
  }
}

void Net::CheckBackwardNumerics(int layer_id) {
  const std::string layer = StrCat("the backward pass of layer '", layer_names_[layer_id],
                                   "' (", layers_[layer_id]->type(), ") put ");
  for (size_t b = 0; b < bottom_vecs_[layer_id].size(); ++b) {
    if (!bottom_need_backward_[layer_id][b]) continue;
    Blob& blob = *bottom_vecs_[layer_id][b];
    blob.ToPlain();
    const std::string found = FindNonFinite(blob.cpu_diff(), blob);
    if (found.empty()) continue;
    non_finite_ = StrCat(layer, found, " into the diff of bottom blob '",
                         blob_names_[bottom_id_vecs_[layer_id][b]], "'");
    return;
  }
  for (size_t p = 0; p < layers_[layer_id]->blobs().size(); ++p) {
    if (!layers_[layer_id]->param_propagate_down(static_cast<int>(p))) continue;
    Blob& blob = *layers_[layer_id]->blobs()[p];
    blob.ToPlain();
    const std::string found = FindNonFinite(blob.cpu_diff(), blob);
    if (found.empty()) continue;
    non_finite_ = StrCat(layer, found, " into the diff of its parameter blob ",
                         param_info_[param_id_vecs_[layer_id][p]].display_name);
    return;
  }
}

std::string Net::DescribeLearnableParam(int learnable_id) const {
  for (int layer_id = 0; layer_id < num_layers(); ++layer_id) {
    const std::vector<int>& ids = param_ids(layer_id);
    for (size_t k = 0; k < ids.size(); ++k) {
      const NetParam& info = param_info(ids[k]);
      if (info.owner < 0 && info.learnable_id == learnable_id) {
        return StrCat("'", layer_names_[layer_id], "' blob ", k);
      }
    }
  }
  return StrCat("#", learnable_id);
}

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
