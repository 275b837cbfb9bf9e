#include "crema/net.hpp"
#include "crema/precision.hpp"

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

void Net::Init(const NetParameter& in_param) {
  phase_ = in_param.state().phase();
  NetParameter upgraded(in_param);
  UpgradeNetAsNeeded(in_param.name().empty() ? "<net>" : in_param.name(), &upgraded);
  const NetParameter param = InsertSplits(FilterNet(upgraded));
  name_ = param.name();
  LOG(INFO) << "Initializing net '" << name_ << "' for phase " << Phase_Name(phase_);

  Wiring wiring;
  const int num_layers = param.layer_size();
  bottom_vecs_.resize(num_layers);
  top_vecs_.resize(num_layers);
  bottom_id_vecs_.resize(num_layers);
  top_id_vecs_.resize(num_layers);
  param_id_vecs_.resize(num_layers);
  bottom_need_backward_.resize(num_layers);
  for (int layer_id = 0; layer_id < num_layers; ++layer_id) InitLayer(param, layer_id, &wiring);

  DecideBackward(param.force_backward());
  for (size_t i = 0; i < layers_.size(); ++i) layers_[i]->set_backward_needed(layer_need_backward_[i]);
  // Whatever no layer consumed is an output of the net.
  for (const auto& blob_name : wiring.available_blobs) {
    LOG(INFO) << "This network produces output " << blob_name;
    const int idx = wiring.blob_name_to_idx[blob_name];
    net_output_blobs_.push_back(blobs_[idx].get());
    net_output_blob_indices_.push_back(idx);
  }
  for (size_t i = 0; i < blob_names_.size(); ++i) blob_names_index_[blob_names_[i]] = i;
  ShareWeights();
  FuseInPlaceReLUs();
  debug_info_ = param.debug_info();
  LOG(INFO) << "Network initialization done.";
}

void Net::InitLayer(const NetParameter& param, int layer_id, Wiring* wiring) {
  LayerParameter layer_param = param.layer(layer_id);
  if (!layer_param.has_phase()) layer_param.set_phase(phase_);
  InheritPrecision(param, &layer_param);
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
  layers_.back()->set_keep_engine_layouts(true);  // the net converts (syncedmem.hpp)
  layer_names_.push_back(layer_param.name());
  layer_names_index_[layer_param.name()] = layer_id;  // the last one wins, as in Caffe

  bool need_backward = WireLayer(param, layer_id, wiring);
  LOG(INFO) << "Setting up " << layer_param.name();
  SetUpLayer(layer_id);
  RecordTops(layer_id, &wiring->memory_used);
  need_backward |= InitParams(param, layer_id);
  layer_need_backward_.push_back(need_backward);
  if (need_backward) {
    for (int blob_id : top_id_vecs_[layer_id]) blob_need_backward_[blob_id] = true;
  }
}

// Connects a layer's bottoms and tops; true when a bottom needs backward.
bool Net::WireLayer(const NetParameter& param, int layer_id, Wiring* wiring) {
  const LayerParameter& layer_param = param.layer(layer_id);
  const Layer& layer = *layers_[layer_id];
  bool need_backward = false;
  for (int bottom_id = 0; bottom_id < layer_param.bottom_size(); ++bottom_id) {
    const int blob_id = AppendBottom(param, layer_id, bottom_id, &wiring->available_blobs,
                                     &wiring->blob_name_to_idx);
    need_backward |= blob_need_backward_[blob_id];
  }
  int num_top = layer_param.top_size();
  for (int top_id = 0; top_id < num_top; ++top_id) {
    AppendTop(param, layer_id, top_id, &wiring->available_blobs, &wiring->blob_name_to_idx);
    if (layer_param.type() == "Input") {
      const int blob_id = static_cast<int>(blobs_.size()) - 1;
      net_input_blob_indices_.push_back(blob_id);
      net_input_blobs_.push_back(blobs_[blob_id].get());
    }
  }
  // Layers may want anonymous tops (a loss layer without a named top).
  if (layer.AutoTopBlobs()) {
    const int needed = std::max(layer.ExactNumTopBlobs(), layer.MinTopBlobs());
    for (; num_top < needed; ++num_top) AppendTop(param, layer_id, num_top, nullptr, nullptr);
  }
  return need_backward;
}

// SetUp, with errors naming the layer and its bottoms' shapes.
void Net::SetUpLayer(int layer_id) {
  Layer& layer = *layers_[layer_id];
  const LayerParameter& layer_param = layer.layer_param();
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
}

void Net::RecordTops(int layer_id, size_t* memory_used) {
  const Layer& layer = *layers_[layer_id];
  for (int top_id = 0; top_id < static_cast<int>(top_vecs_[layer_id].size()); ++top_id) {
    const int blob_id = top_id_vecs_[layer_id][top_id];
    if (static_cast<int>(blob_loss_weights_.size()) <= blob_id) {
      blob_loss_weights_.resize(blob_id + 1, 0.f);
    }
    blob_loss_weights_[blob_id] = layer.loss(top_id);
    LOG(INFO) << "Top shape: " << LogShape(*top_vecs_[layer_id][top_id]);
    if (layer.loss(top_id) != 0.f) LOG(INFO) << "    with loss weight " << layer.loss(top_id);
    *memory_used += top_vecs_[layer_id][top_id]->count();
  }
  LOG(INFO) << "Memory required for data: " << *memory_used * sizeof(float);
}

// Parameters: lr_mult 0 means the layer does not learn that blob. True when
// the layer learns one.
bool Net::InitParams(const NetParameter& param, int layer_id) {
  Layer& layer = *layers_[layer_id];
  const LayerParameter& layer_param = layer.layer_param();
  const int param_size = layer_param.param_size();
  const int num_param_blobs = static_cast<int>(layer.blobs().size());
  if (param_size > num_param_blobs) {
    Throw("Layer '", layer_param.name(), "' (", layer_param.type(), ") has ", num_param_blobs,
          " parameter blob(s) but ", param_size, " 'param' entries; remove the extra ones.");
  }
  bool learns = false;
  for (int param_id = 0; param_id < num_param_blobs; ++param_id) {
    const ParamSpec spec = param_id < param_size ? layer_param.param(param_id) : ParamSpec();
    const bool param_need_backward = spec.lr_mult() != 0.f;
    learns |= param_need_backward;
    layer.set_param_propagate_down(param_id, param_need_backward);
  }
  for (int param_id = 0; param_id < num_param_blobs; ++param_id) {
    AppendParam(param, layer_id, param_id);
  }
  return learns;
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
  const ParamSpec spec =
      param_id < layer_param.param_size() ? layer_param.param(param_id) : ParamSpec();
  const std::string& param_name = spec.name();
  NetParam info;
  info.display_name = param_name.empty() ? std::to_string(param_id) : param_name;
  info.layer_id = layer_id;
  info.index_in_layer = param_id;
  const int net_param_id = static_cast<int>(params_.size());
  params_.push_back(layers_[layer_id]->blobs()[param_id]);
  param_id_vecs_[layer_id].push_back(net_param_id);
  if (param_name.empty() || !param_names_index_.count(param_name)) {
    // This layer owns the parameter.
    if (!param_name.empty()) param_names_index_[param_name] = net_param_id;
    info.learnable_id = static_cast<int>(learnable_params_.size());
    learnable_params_.push_back(params_.back().get());
    learnable_info_.push_back(LearnableParam{spec.lr_mult(), spec.decay_mult(),
                                             spec.has_lr_mult(), spec.has_decay_mult()});
  } else {
    info.owner = param_names_index_[param_name];
    info.learnable_id = param_info_[info.owner].learnable_id;
    CheckSharedParam(spec, layer_id, param_id, info.owner);
  }
  param_info_.push_back(info);
}

// A parameter shared with an earlier layer: the shapes and multipliers must agree.
void Net::CheckSharedParam(const ParamSpec& spec, int layer_id, int param_id, int owner_id) {
  const NetParam& owner_info = param_info_[owner_id];
  const std::string& owner_layer = layer_names_[owner_info.layer_id];
  LOG(INFO) << "Sharing parameters '" << spec.name() << "' owned by layer '" << owner_layer
            << "', param index " << owner_info.index_in_layer;
  const Blob& owner = *params_[owner_id];
  const Blob& mine = *layers_[layer_id]->blobs()[param_id];
  const bool permissive = spec.share_mode() == ParamSpec::PERMISSIVE;
  if (permissive ? owner.count() != mine.count() : owner.shape() != mine.shape()) {
    Throw("Layer '", layer_names_[layer_id], "' cannot share parameter '", spec.name(),
          "' with layer '", owner_layer, "': the owner's shape is ", owner.shape_string(),
          " but this layer's is ", mine.shape_string(), permissive ? " (counts differ)." : ".");
  }
  LearnableParam& learnable = learnable_info_[owner_info.learnable_id];
  auto agree = [&](bool has, float value, bool* had, float* kept, const char* what) {
    if (!has) return;
    if (*had && *kept != value) {
      Throw("Shared parameter '", spec.name(), "' has ", what, " ", *kept,
            " in one layer and ", value, " in layer '", layer_names_[layer_id], "'.");
    }
    *had = true;
    *kept = value;
  };
  agree(spec.has_lr_mult(), spec.lr_mult(), &learnable.has_lr_mult, &learnable.lr_mult,
        "lr_mult");
  agree(spec.has_decay_mult(), spec.decay_mult(), &learnable.has_decay_mult,
        &learnable.decay_mult, "decay_mult");
}

void Net::ShareWeights() {
  for (size_t i = 0; i < params_.size(); ++i) {
    const int owner = param_info_[i].owner;
    if (owner < 0) continue;
    params_[i]->ShareData(*params_[owner]);
    params_[i]->ShareDiff(*params_[owner]);
  }
}

float Net::ForwardFromTo(int start, int end) {
  if (start < 0 || end >= num_layers()) {
    Throw("Net '", name_, "' has layers 0 to ", num_layers() - 1, "; cannot run forward from ",
          start, " to ", end, ".");
  }
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
    if (check_numerics_ && non_finite_.empty()) CheckForwardNumerics(i);
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
  if (end < 0 || start >= num_layers()) {
    Throw("Net '", name_, "' has layers 0 to ", num_layers() - 1, "; cannot run backward from ",
          start, " to ", end, ".");
  }
  if (share_activations_) {
    Throw("Net '", name_, "' shares activation memory for inference "
          "(ShareActivationMemory); it cannot run Backward.");
  }
  for (int i = start; i >= end; --i) {
    if (!layer_need_backward_[i]) continue;
    layers_[i]->Backward(top_vecs_[i], bottom_need_backward_[i], bottom_vecs_[i]);
    if (debug_info_) BackwardDebugInfo(i);
    if (check_numerics_ && non_finite_.empty()) CheckBackwardNumerics(i);
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

void Net::ClearParamDiffsBeforeBackward() {
  for (Blob* param : learnable_params_) {
    if (param->diff()) param->diff()->MarkZero();
  }
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
