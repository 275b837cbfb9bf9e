#include "crema/net.hpp"

#include <algorithm>
#include <cmath>

#include "crema/insert_splits.hpp"
#include "crema/io/proto_io.hpp"
#include "crema/io/upgrade_proto.hpp"
#include "crema/layer_registry.hpp"
#include "crema/math/math_functions.hpp"

namespace crema {
namespace {

// Caffe's shape rendering in log lines: "64 1 28 28 (50176)".
std::string LogShape(const Blob& blob) {
  std::string out;
  for (int dim : blob.shape()) out += std::to_string(dim) + " ";
  return out + "(" + std::to_string(blob.count()) + ")";
}

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) out += (i ? ", " : "") + names[i];
  return out;
}

}  // namespace

Net::Net(const NetParameter& param) { Init(param); }

Net::Net(const std::string& param_file, Phase phase, int level,
         const std::vector<std::string>& stages) {
  NetParameter param;
  ReadNetParamsFromTextFile(param_file, &param);
  param.mutable_state()->set_phase(phase);
  param.mutable_state()->set_level(level);
  for (const auto& stage : stages) param.mutable_state()->add_stage(stage);
  Init(param);
}

bool Net::StateMeetsRule(const NetState& state, const NetStateRule& rule,
                         const std::string& layer_name) {
  if (rule.has_phase() && rule.phase() != state.phase()) return false;
  if (rule.has_min_level() && state.level() < rule.min_level()) return false;
  if (rule.has_max_level() && state.level() > rule.max_level()) return false;
  auto has_stage = [&state](const std::string& stage) {
    return std::find(state.stage().begin(), state.stage().end(), stage) !=
           state.stage().end();
  };
  for (const auto& stage : rule.stage()) {
    if (!has_stage(stage)) return false;
  }
  for (const auto& stage : rule.not_stage()) {
    if (has_stage(stage)) return false;
  }
  return true;
}

NetParameter Net::FilterNet(const NetParameter& param) {
  const NetState& state = param.state();
  NetParameter filtered(param);
  filtered.clear_layer();
  for (const LayerParameter& layer : param.layer()) {
    if (layer.include_size() > 0 && layer.exclude_size() > 0) {
      Throw("Layer '", layer.name(), "' has both include and exclude rules; "
            "give one kind only.");
    }
    bool included = layer.include_size() == 0;
    for (const auto& rule : layer.exclude()) {
      if (StateMeetsRule(state, rule, layer.name())) included = false;
    }
    for (const auto& rule : layer.include()) {
      if (StateMeetsRule(state, rule, layer.name())) included = true;
    }
    if (included) *filtered.add_layer() = layer;
  }
  return filtered;
}

void Net::Init(const NetParameter& in_param) {
  phase_ = in_param.state().phase();
  NetParameter upgraded(in_param);
  UpgradeNetAsNeeded(in_param.name().empty() ? "<net>" : in_param.name(), &upgraded);
  const NetParameter param = InsertSplits(FilterNet(upgraded));
  name_ = param.name();
  LOG(INFO) << "Initializing net '" << name_ << "' for phase "
            << Phase_Name(phase_);

  std::set<std::string> available_blobs;
  std::map<std::string, int> blob_name_to_idx;
  const int num_layers = param.layer_size();
  bottom_vecs_.resize(num_layers);
  top_vecs_.resize(num_layers);
  bottom_id_vecs_.resize(num_layers);
  top_id_vecs_.resize(num_layers);
  param_id_vecs_.resize(num_layers);
  bottom_need_backward_.resize(num_layers);
  size_t memory_used = 0;

  for (int layer_id = 0; layer_id < num_layers; ++layer_id) {
    LayerParameter layer_param = param.layer(layer_id);
    if (!layer_param.has_phase()) layer_param.set_phase(phase_);
    if (layer_param.propagate_down_size() > 0 &&
        layer_param.propagate_down_size() != layer_param.bottom_size()) {
      Throw("Layer '", layer_param.name(), "' gives ", layer_param.propagate_down_size(),
            " propagate_down values for ", layer_param.bottom_size(),
            " bottoms; give one per bottom or none.");
    }
    if (has_layer(layer_param.name()) && !layer_param.name().empty()) {
      LOG(WARNING) << "Two layers are named '" << layer_param.name() << "'.";
    }
    LOG(INFO) << "Creating Layer " << layer_param.name();
    layers_.push_back(LayerRegistry::Create(layer_param));
    Layer& layer = *layers_.back();
    layer.set_keep_engine_layouts(true);  // the net converts (syncedmem.hpp)
    layer_names_.push_back(layer_param.name());
    layer_names_index_[layer_param.name()] = layer_id;  // the last one wins, as in Caffe

    bool need_backward = false;
    for (int bottom_id = 0; bottom_id < layer_param.bottom_size(); ++bottom_id) {
      const int blob_id = AppendBottom(param, layer_id, bottom_id,
                                       &available_blobs, &blob_name_to_idx);
      need_backward |= blob_need_backward_[blob_id];
    }
    int num_top = layer_param.top_size();
    for (int top_id = 0; top_id < num_top; ++top_id) {
      AppendTop(param, layer_id, top_id, &available_blobs, &blob_name_to_idx);
      if (layer_param.type() == "Input") {
        const int blob_id = static_cast<int>(blobs_.size()) - 1;
        net_input_blob_indices_.push_back(blob_id);
        net_input_blobs_.push_back(blobs_[blob_id].get());
      }
    }
    // Layers may want anonymous tops (a loss layer without a named top).
    if (layer.AutoTopBlobs()) {
      const int needed = std::max(layer.ExactNumTopBlobs(), layer.MinTopBlobs());
      for (; num_top < needed; ++num_top) {
        AppendTop(param, layer_id, num_top, nullptr, nullptr);
      }
    }

    LOG(INFO) << "Setting up " << layer_param.name();
    try {
      layer.SetUp(bottom_vecs_[layer_id], top_vecs_[layer_id]);
    } catch (const Error& e) {
      std::string what = e.what();
      if (what.rfind("layer '" + layer_param.name() + "'", 0) != 0) {
        what = StrCat("layer '", layer_param.name(), "' (", layer_param.type(), "): ", what);
      }
      const std::string bottoms = DescribeBottoms(layer_id);
      if (bottoms.empty()) Throw(what);
      if (!what.empty() && what.back() == '.') what.pop_back();
      Throw(what, bottoms, ".");
    }
    for (int top_id = 0; top_id < static_cast<int>(top_vecs_[layer_id].size()); ++top_id) {
      const int blob_id = top_id_vecs_[layer_id][top_id];
      if (static_cast<int>(blob_loss_weights_.size()) <= blob_id) {
        blob_loss_weights_.resize(blob_id + 1, 0.f);
      }
      blob_loss_weights_[blob_id] = layer.loss(top_id);
      LOG(INFO) << "Top shape: " << LogShape(*top_vecs_[layer_id][top_id]);
      if (layer.loss(top_id) != 0.f) {
        LOG(INFO) << "    with loss weight " << layer.loss(top_id);
      }
      memory_used += top_vecs_[layer_id][top_id]->count();
    }
    LOG(INFO) << "Memory required for data: " << memory_used * sizeof(float);

    // Parameters: lr_mult 0 means the layer does not learn that blob.
    const int param_size = layer_param.param_size();
    const int num_param_blobs = static_cast<int>(layer.blobs().size());
    if (param_size > num_param_blobs) {
      Throw("Layer '", layer_param.name(), "' (", layer_param.type(), ") has ",
            num_param_blobs, " parameter blob(s) but ", param_size,
            " 'param' entries; remove the extra ones.");
    }
    for (int param_id = 0; param_id < num_param_blobs; ++param_id) {
      const ParamSpec spec = param_id < param_size ? layer_param.param(param_id) : ParamSpec();
      const bool param_need_backward = spec.lr_mult() != 0.f;
      need_backward |= param_need_backward;
      layer.set_param_propagate_down(param_id, param_need_backward);
    }
    for (int param_id = 0; param_id < num_param_blobs; ++param_id) {
      AppendParam(param, layer_id, param_id);
    }
    layer_need_backward_.push_back(need_backward);
    if (need_backward) {
      for (int blob_id : top_id_vecs_[layer_id]) blob_need_backward_[blob_id] = true;
    }
  }

  DecideBackward(param.force_backward());
  for (size_t i = 0; i < layers_.size(); ++i) layers_[i]->set_backward_needed(layer_need_backward_[i]);

  // Whatever no layer consumed is an output of the net.
  for (const auto& blob_name : available_blobs) {
    LOG(INFO) << "This network produces output " << blob_name;
    const int idx = blob_name_to_idx[blob_name];
    net_output_blobs_.push_back(blobs_[idx].get());
    net_output_blob_indices_.push_back(idx);
  }
  for (size_t i = 0; i < blob_names_.size(); ++i) blob_names_index_[blob_names_[i]] = i;
  ShareWeights();
  FuseInPlaceReLUs();
  debug_info_ = param.debug_info();
  LOG(INFO) << "Network initialization done.";
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

// " (bottoms: 'a' 2 x 3 (6), 'b' 2 x 4 (8))", or "" for a layer without bottoms.
std::string Net::DescribeBottoms(int layer_id) const {
  const auto& bottoms = bottom_vecs_[layer_id];
  if (bottoms.empty()) return "";
  std::string out = " (bottoms: ";
  for (size_t b = 0; b < bottoms.size(); ++b) {
    out += StrCat(b ? ", " : "", "'", blob_names_[bottom_id_vecs_[layer_id][b]], "' ",
                  bottoms[b]->shape_string());
  }
  return out + ")";
}

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

void Net::AppendTop(const NetParameter& param, int layer_id, int top_id,
                    std::set<std::string>* available_blobs,
                    std::map<std::string, int>* blob_name_to_idx) {
  const LayerParameter& layer_param = param.layer(layer_id);
  const std::string blob_name =
      top_id < layer_param.top_size() ? layer_param.top(top_id) : "(automatic)";
  if (blob_name_to_idx && top_id < layer_param.bottom_size() &&
      blob_name == layer_param.bottom(top_id)) {
    // In place: the top is the bottom blob itself.
    LOG(INFO) << layer_param.name() << " -> " << blob_name << " (in-place)";
    const int blob_id = (*blob_name_to_idx)[blob_name];
    top_vecs_[layer_id].push_back(blobs_[blob_id].get());
    top_id_vecs_[layer_id].push_back(blob_id);
  } else if (blob_name_to_idx && blob_name_to_idx->count(blob_name)) {
    Throw("Layer '", layer_param.name(), "' (", layer_param.type(),
          ") produces top blob '", blob_name, "', which an earlier layer "
          "already produces. Only in-place layers (top named as their bottom "
          "at the same position) may reuse a name.");
  } else {
    LOG(INFO) << layer_param.name() << " -> " << blob_name;
    const int blob_id = static_cast<int>(blobs_.size());
    blobs_.push_back(std::make_shared<Blob>());
    blob_names_.push_back(blob_name);
    blob_need_backward_.push_back(false);
    if (blob_name_to_idx) (*blob_name_to_idx)[blob_name] = blob_id;
    top_vecs_[layer_id].push_back(blobs_[blob_id].get());
    top_id_vecs_[layer_id].push_back(blob_id);
  }
  if (available_blobs) available_blobs->insert(blob_name);
}

int Net::AppendBottom(const NetParameter& param, int layer_id, int bottom_id,
                      std::set<std::string>* available_blobs,
                      std::map<std::string, int>* blob_name_to_idx) {
  const LayerParameter& layer_param = param.layer(layer_id);
  const std::string& blob_name = layer_param.bottom(bottom_id);
  if (!available_blobs->count(blob_name)) {
    Throw("Layer '", layer_param.name(), "' (", layer_param.type(),
          ") takes bottom blob '", blob_name, "', which no earlier layer "
          "produces (or another layer already consumed).");
  }
  const int blob_id = (*blob_name_to_idx)[blob_name];
  LOG(INFO) << layer_param.name() << " <- " << blob_name;
  bottom_vecs_[layer_id].push_back(blobs_[blob_id].get());
  bottom_id_vecs_[layer_id].push_back(blob_id);
  available_blobs->erase(blob_name);
  bool need_backward = blob_need_backward_[blob_id];
  if (layer_param.propagate_down_size() > 0) {
    need_backward = layer_param.propagate_down(bottom_id);
  }
  bottom_need_backward_[layer_id].push_back(need_backward);
  return blob_id;
}

void Net::AppendParam(const NetParameter& param, int layer_id, int param_id) {
  const LayerParameter& layer_param = layers_[layer_id]->layer_param();
  const int param_size = layer_param.param_size();
  const ParamSpec spec = param_id < param_size ? layer_param.param(param_id) : ParamSpec();
  const std::string& param_name = spec.name();
  param_display_names_.push_back(param_name.empty() ? std::to_string(param_id) : param_name);
  const int net_param_id = static_cast<int>(params_.size());
  params_.push_back(layers_[layer_id]->blobs()[param_id]);
  param_id_vecs_[layer_id].push_back(net_param_id);
  param_layer_indices_.emplace_back(layer_id, param_id);

  if (param_name.empty() || !param_names_index_.count(param_name)) {
    // This layer owns the parameter.
    param_owners_.push_back(-1);
    if (!param_name.empty()) param_names_index_[param_name] = net_param_id;
    const int learnable_id = static_cast<int>(learnable_params_.size());
    learnable_params_.push_back(params_[net_param_id].get());
    learnable_param_ids_.push_back(learnable_id);
    has_params_lr_.push_back(spec.has_lr_mult());
    has_params_decay_.push_back(spec.has_decay_mult());
    params_lr_.push_back(spec.lr_mult());
    params_weight_decay_.push_back(spec.decay_mult());
    return;
  }
  // Shared with an earlier layer: the shapes must agree.
  const int owner_net_param_id = param_names_index_[param_name];
  param_owners_.push_back(owner_net_param_id);
  const auto& [owner_layer_id, owner_param_id] = param_layer_indices_[owner_net_param_id];
  LOG(INFO) << "Sharing parameters '" << param_name << "' owned by layer '"
            << layer_names_[owner_layer_id] << "', param index " << owner_param_id;
  const Blob& owner = *layers_[owner_layer_id]->blobs()[owner_param_id];
  const Blob& mine = *layers_[layer_id]->blobs()[param_id];
  const bool permissive = spec.share_mode() == ParamSpec::PERMISSIVE;
  if (permissive ? owner.count() != mine.count() : owner.shape() != mine.shape()) {
    Throw("Layer '", layer_names_[layer_id], "' cannot share parameter '",
          param_name, "' with layer '", layer_names_[owner_layer_id],
          "': the owner's shape is ", owner.shape_string(), " but this layer's is ",
          mine.shape_string(), permissive ? " (counts differ)." : ".");
  }
  const int learnable_id = learnable_param_ids_[owner_net_param_id];
  learnable_param_ids_.push_back(learnable_id);
  if (spec.has_lr_mult()) {
    if (has_params_lr_[learnable_id] && params_lr_[learnable_id] != spec.lr_mult()) {
      Throw("Shared parameter '", param_name, "' has lr_mult ",
            params_lr_[learnable_id], " in one layer and ", spec.lr_mult(),
            " in layer '", layer_names_[layer_id], "'.");
    }
    has_params_lr_[learnable_id] = true;
    params_lr_[learnable_id] = spec.lr_mult();
  }
  if (spec.has_decay_mult()) {
    if (has_params_decay_[learnable_id] &&
        params_weight_decay_[learnable_id] != spec.decay_mult()) {
      Throw("Shared parameter '", param_name, "' has decay_mult ",
            params_weight_decay_[learnable_id], " in one layer and ",
            spec.decay_mult(), " in layer '", layer_names_[layer_id], "'.");
    }
    has_params_decay_[learnable_id] = true;
    params_weight_decay_[learnable_id] = spec.decay_mult();
  }
}

void Net::ShareWeights() {
  for (size_t i = 0; i < params_.size(); ++i) {
    if (param_owners_[i] < 0) continue;
    params_[i]->ShareData(*params_[param_owners_[i]]);
    params_[i]->ShareDiff(*params_[param_owners_[i]]);
  }
}

float Net::ForwardFromTo(int start, int end) {
  CHECK_GE(start, 0);
  CHECK_LT(end, num_layers());
  float loss = 0;
  for (int i = start; i <= end; ++i) {
    if (share_activations_ && !bottom_vecs_[i].empty()) {
      // A top's shared buffer holds a dead blob's values until this layer
      // writes it, unless the top is its bottom's memory (in place, or a
      // Flatten or Reshape view). Tops of layers without bottoms (Input)
      // hold what the user put there.
      for (Blob* top : top_vecs_[i]) {
        bool own = true;
        for (Blob* bottom : bottom_vecs_[i]) own &= bottom->data() != top->data();
        if (own) top->data()->discard_values();
      }
    }
    if (!forward_fused_[i]) loss += layers_[i]->Forward(bottom_vecs_[i], top_vecs_[i]);
    if (debug_info_) ForwardDebugInfo(i);
  }
  for (Blob* output : net_output_blobs_) output->data()->ToPlain();
  DataToPlain(blobs_);
  DataToPlain(params_);
  return loss;
}

void Net::DataToPlain(const std::vector<std::shared_ptr<Blob>>& blobs) const {
  for (const auto& blob : blobs) {
    SyncedMemory& data = *blob->data();
    if (plain_after_pass_ || data.keep_plain()) data.ToPlain();
  }
}

void Net::ToPlain() {
  for (const auto& blob : blobs_) blob->ToPlain();
  for (const auto& param : params_) param->ToPlain();
}

const std::vector<Blob*>& Net::Forward(float* loss) {
  const float value = num_layers() ? ForwardFromTo(0, num_layers() - 1) : 0.f;
  if (loss) *loss = value;
  return net_output_blobs_;
}

void Net::BackwardFromTo(int start, int end) {
  CHECK_GE(end, 0);
  CHECK_LT(start, num_layers());
  if (share_activations_) {
    Throw("Net '", name_, "' shares activation memory for inference "
          "(ShareActivationMemory); it cannot run Backward.");
  }
  for (int i = start; i >= end; --i) {
    if (!layer_need_backward_[i]) continue;
    layers_[i]->Backward(top_vecs_[i], bottom_need_backward_[i], bottom_vecs_[i]);
    if (debug_info_) BackwardDebugInfo(i);
    if (after_backward_) after_backward_(i);
  }
  for (const auto& blob : blobs_) {
    SyncedMemory& diff = *blob->diff();
    if (plain_after_pass_ || diff.keep_plain()) diff.ToPlain();
  }
}

void Net::Backward() {
  if (num_layers() == 0) return;
  BackwardFromTo(num_layers() - 1, 0);
  if (!debug_info_) return;
  float asum_data = 0, asum_diff = 0, sumsq_data = 0, sumsq_diff = 0;
  for (const Blob* param : learnable_params_) {
    asum_data += param->asum_data();
    asum_diff += param->asum_diff();
    sumsq_data += param->sumsq_data();
    sumsq_diff += param->sumsq_diff();
  }
  LOG(INFO) << "    [Backward] All net params (data, diff): L1 norm = ("
            << asum_data << ", " << asum_diff << "); L2 norm = ("
            << std::sqrt(sumsq_data) << ", " << std::sqrt(sumsq_diff) << ")";
}

void Net::Reshape() {
  for (int i = 0; i < num_layers(); ++i) {
    layers_[i]->Reshape(bottom_vecs_[i], top_vecs_[i]);
  }
  if (share_activations_) PlanActivationSharing();
}

void Net::Update() {
  for (Blob* param : learnable_params_) param->Update();
}

void Net::ClearParamDiffs() {
  for (Blob* param : learnable_params_) {
    cpu_zero(param->count(), param->mutable_cpu_diff());
  }
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
              << param_display_names_[param_id_vecs_[layer_id][p]] << " data: "
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
  const int owner = param_owners_[param_id];
  const std::string& layer_name = layer_names_[param_layer_indices_[param_id].first];
  const std::string& param_name = param_display_names_[param_id];
  const float diff = blob.asum_diff() / std::max(1, blob.count());
  if (owner < 0) {
    LOG(INFO) << "    [Update] Layer " << layer_name << ", param " << param_name
              << " data: " << blob.asum_data() / std::max(1, blob.count())
              << "; diff: " << diff;
  } else {
    LOG(INFO) << "    [Update] Layer " << layer_name << ", param blob " << param_name
              << " (owned by layer "
              << layer_names_[param_layer_indices_[owner].first] << ", param "
              << param_display_names_[owner] << ") diff: " << diff;
  }
}

void Net::CopyTrainedLayersFrom(const NetParameter& param) {
  std::set<std::string> copied;
  for (const LayerParameter& source : param.layer()) {
    auto it = layer_names_index_.find(source.name());
    if (it == layer_names_index_.end()) {
      LOG(INFO) << "Ignoring source layer " << source.name()
                << " (not in the net).";
      continue;
    }
    auto& target_blobs = layers_[it->second]->blobs();
    if (target_blobs.size() != static_cast<size_t>(source.blobs_size())) {
      // Layers without weights (ReLU, Data...) carry none in either place.
      if (source.blobs_size() == 0) continue;
      Throw("Cannot copy weights into layer '", source.name(), "': the file has ",
            source.blobs_size(), " blob(s) for it but the net's layer has ",
            target_blobs.size(), ".");
    }
    for (int j = 0; j < source.blobs_size(); ++j) {
      if (!target_blobs[j]->ShapeEquals(source.blobs(j))) {
        Throw("Cannot copy weights into layer '", source.name(), "', blob ", j,
              ": the file's shape is ", ShapeString(BlobProtoShape(source.blobs(j))),
              " but the net's is ", target_blobs[j]->shape_string(),
              ". To learn this layer from scratch instead, rename it.");
      }
      target_blobs[j]->FromProto(source.blobs(j), false);
    }
    if (source.blobs_size() > 0) {
      LOG(INFO) << "Copying weights of layer " << source.name();
      copied.insert(source.name());
    }
  }
  for (int i = 0; i < num_layers(); ++i) {
    if (!layers_[i]->blobs().empty() && !copied.count(layer_names_[i])) {
      LOG(INFO) << "Layer " << layer_names_[i]
                << " is not in the weights; it keeps its initial values.";
    }
  }
}

void Net::CopyTrainedLayersFrom(const NetParameter& param, const std::string& source) {
  std::set<std::string> in_file;
  for (const LayerParameter& layer : param.layer()) {
    if (layer.blobs_size() > 0) in_file.insert(layer.name());
  }
  int with_params = 0, matched = 0;
  for (int i = 0; i < num_layers(); ++i) {
    if (layers_[i]->blobs().empty()) continue;
    ++with_params;
    if (in_file.count(layer_names_[i])) ++matched;
  }
  if (with_params > 0 && param.layer_size() == 0) {
    Throw("The weights file '", source, "' holds no layers; it is empty or not a "
          ".caffemodel.");
  }
  if (with_params > 0 && matched == 0) {
    std::vector<std::string> names(in_file.begin(), in_file.end());
    Throw("The weights file '", source, "' holds weights for none of the ", with_params,
          " layers with parameters of net '", name_, "' (the file's layers with weights: ",
          names.empty() ? std::string("none") : JoinNames(names),
          "); it looks like the weights of another net.");
  }
  try {
    CopyTrainedLayersFrom(param);
  } catch (const Error& e) {
    Throw("While loading the weights file '", source, "': ", e.what());
  }
}

void Net::CopyTrainedLayersFrom(const std::string& path) {
  if (!FileExists(path)) Throw("The weights file '", path, "' does not exist.");
  NetParameter param;
  ReadNetParamsFromFile(path, &param);
  CopyTrainedLayersFrom(param, path);
}

void Net::ShareTrainedLayersWith(const Net& other) {
  for (int i = 0; i < other.num_layers(); ++i) {
    const std::string& source_name = other.layer_names()[i];
    auto it = layer_names_index_.find(source_name);
    if (it == layer_names_index_.end()) continue;
    auto& target_blobs = layers_[it->second]->blobs();
    const auto& source_blobs = other.layers()[i]->blobs();
    if (target_blobs.size() != source_blobs.size()) {
      Throw("Layer '", source_name, "' has ", source_blobs.size(),
            " parameter blobs in one net and ", target_blobs.size(), " in the other.");
    }
    for (size_t j = 0; j < target_blobs.size(); ++j) {
      if (target_blobs[j]->shape() != source_blobs[j]->shape()) {
        Throw("Layer '", source_name, "', blob ", j, " has shape ",
              source_blobs[j]->shape_string(), " in one net and ",
              target_blobs[j]->shape_string(), " in the other.");
      }
      target_blobs[j]->ShareData(*source_blobs[j]);
    }
  }
}

void Net::ToProto(NetParameter* param, bool write_diff) const {
  param->Clear();
  param->set_name(name_);
  for (const auto& layer : layers_) layer->ToProto(param->add_layer(), write_diff);
}

std::shared_ptr<Blob> Net::blob_by_name(const std::string& name) const {
  auto it = blob_names_index_.find(name);
  if (it == blob_names_index_.end()) {
    Throw("Net '", name_, "' has no blob named '", name, "'. Its blobs: ",
          JoinNames(blob_names_), ".");
  }
  return blobs_[it->second];
}

std::shared_ptr<Layer> Net::layer_by_name(const std::string& name) const {
  auto it = layer_names_index_.find(name);
  if (it == layer_names_index_.end()) {
    Throw("Net '", name_, "' has no layer named '", name, "'. Its layers: ",
          JoinNames(layer_names_), ".");
  }
  return layers_[it->second];
}

}  // namespace crema
