// Passes over a built net's graph: which layers need backward, and ReLUs
// fused into the layer before them. (Split insertion is in
// insert_splits.cpp, activation sharing in activation_sharing.cpp.)
#include <set>
#include <string>

#include "crema/net.hpp"

namespace crema {

// Walks the layers from last to first: a layer needs backward only if some
// top leads to a loss and some bottom or parameter wants a gradient.
void Net::DecideBackward(bool force_backward) {
  std::set<std::string> blobs_under_loss;
  std::set<std::string> blobs_skip_backp;
  for (int layer_id = num_layers() - 1; layer_id >= 0; --layer_id) {
    bool contributes_loss = false;
    bool skip_propagate_down = true;
    for (int top_id = 0; top_id < static_cast<int>(top_vecs_[layer_id].size()); ++top_id) {
      const std::string& blob_name = blob_names_[top_id_vecs_[layer_id][top_id]];
      if (layers_[layer_id]->loss(top_id) != 0.f || blobs_under_loss.count(blob_name)) {
        contributes_loss = true;
      }
      if (!blobs_skip_backp.count(blob_name)) skip_propagate_down = false;
      if (contributes_loss && !skip_propagate_down) break;
    }
    if (layer_need_backward_[layer_id] && skip_propagate_down) {
      layer_need_backward_[layer_id] = false;
      for (size_t b = 0; b < bottom_vecs_[layer_id].size(); ++b) {
        bottom_need_backward_[layer_id][b] = false;
      }
    }
    if (!contributes_loss) layer_need_backward_[layer_id] = false;
    if (layer_need_backward_[layer_id]) {
      LOG(INFO) << layer_names_[layer_id] << " needs backward computation.";
    } else {
      LOG(INFO) << layer_names_[layer_id] << " does not need backward computation.";
    }
    for (size_t b = 0; b < bottom_vecs_[layer_id].size(); ++b) {
      const std::string& blob_name = blob_names_[bottom_id_vecs_[layer_id][b]];
      if (contributes_loss) {
        blobs_under_loss.insert(blob_name);
      } else {
        bottom_need_backward_[layer_id][b] = false;
      }
      if (!bottom_need_backward_[layer_id][b]) blobs_skip_backp.insert(blob_name);
    }
  }
  if (!force_backward) return;
  for (int layer_id = 0; layer_id < num_layers(); ++layer_id) {
    layer_need_backward_[layer_id] = true;
    for (size_t b = 0; b < bottom_vecs_[layer_id].size(); ++b) {
      bottom_need_backward_[layer_id][b] =
          bottom_need_backward_[layer_id][b] ||
          layers_[layer_id]->AllowForceBackward(static_cast<int>(b));
      const int blob_id = bottom_id_vecs_[layer_id][b];
      blob_need_backward_[blob_id] =
          blob_need_backward_[blob_id] || bottom_need_backward_[layer_id][b];
    }
    for (size_t p = 0; p < layers_[layer_id]->blobs().size(); ++p) {
      layers_[layer_id]->set_param_propagate_down(static_cast<int>(p), true);
    }
  }
}

// A ReLU that rectifies in place the single top of the layer just before it
// can run inside that layer (a post-op of a fast engine's convolution or
// inner product): nothing reads the value between the two layers.
void Net::FuseInPlaceReLUs() {
  forward_fused_.assign(num_layers(), false);
  for (int i = 1; i < num_layers(); ++i) {
    if (layers_[i]->layer_param().type() != "ReLU") continue;
    const auto& bottoms = bottom_id_vecs_[i];
    if (bottoms.size() != 1 || top_id_vecs_[i] != bottoms) continue;
    if (top_id_vecs_[i - 1].size() != 1 || top_id_vecs_[i - 1][0] != bottoms[0]) continue;
    if (blob_loss_weights_[bottoms[0]] != 0.f) continue;
    const float slope = layers_[i]->layer_param().relu_param().negative_slope();
    if (layers_[i - 1]->FuseReLU(slope)) {
      forward_fused_[i] = true;
      LOG(INFO) << layer_names_[i] << " runs fused into " << layer_names_[i - 1] << ".";
    }
  }
}

}  // namespace crema
