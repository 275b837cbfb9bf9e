// Net: a directed acyclic graph of layers wired by blob names, built from a
// NetParameter. Forward fills the tops and returns the loss; Backward fills
// the diffs of everything that needs a gradient.
#ifndef CREMA_NET_HPP_
#define CREMA_NET_HPP_

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "crema/blob.hpp"
#include "crema/layer.hpp"
#include "crema/proto/crema.pb.h"

namespace crema {

// One parameter blob of one layer, in Net::params() order (shared ones too).
struct NetParam {
  std::string display_name;  // its ParamSpec name, else its index in the layer
  int layer_id = 0;
  int index_in_layer = 0;
  int owner = -1;         // the params() index whose values it shares; -1: its own
  int learnable_id = 0;   // its index (or its owner's) in learnable_params()
};

// A learnable parameter's multipliers, as its ParamSpecs set them.
struct LearnableParam {
  float lr_mult = 1.f;
  float decay_mult = 1.f;
  bool has_lr_mult = false;
  bool has_decay_mult = false;
};

class Net {
 public:
  // The phase, stages and level come from param.state().
  explicit Net(const NetParameter& param);
  // Reads (and upgrades) a prototxt, then sets phase, level and stages.
  Net(const std::string& param_file, Phase phase, int level = 0,
      const std::vector<std::string>& stages = {});
  Net(const Net&) = delete;
  Net& operator=(const Net&) = delete;

  // Runs every layer forward; returns the net's output blobs.
  const std::vector<Blob*>& Forward(float* loss = nullptr);
  // Runs layers start..end inclusive and returns their summed loss.
  float ForwardFromTo(int start, int end);
  float ForwardFrom(int start) { return ForwardFromTo(start, num_layers() - 1); }
  float ForwardTo(int end) { return ForwardFromTo(0, end); }
  void Backward();
  void BackwardFromTo(int start, int end);
  void BackwardFrom(int start) { BackwardFromTo(start, 0); }
  void BackwardTo(int end) { BackwardFromTo(num_layers() - 1, end); }
  float ForwardBackward() {
    float loss;
    Forward(&loss);
    Backward();
    return loss;
  }
  // Re-propagates shapes after an input blob changed shape.
  void Reshape();

  // For inference: lets activation blobs whose values are no longer needed
  // share buffers, so peak activation memory is a small multiple of the
  // largest activation rather than the sum of all of them. The net's inputs
  // and outputs, the tops of layers without bottoms (data sources) and the
  // blobs named in `keep` keep buffers of their own; every other
  // intermediate blob holds its value only until the last layer that reads
  // it has run. Backward is an error afterwards. Reshape() re-plans.
  void ShareActivationMemory(const std::vector<std::string>& keep = {});
  bool shares_activation_memory() const { return share_activations_; }

  // Layouts (syncedmem.hpp). Inside a pass, a run of engine layers hands
  // blobs on in the engine's own layout. After each pass every blob and
  // parameter holds plain values again (the default), so anyone may read
  // any of them; a loop that reads only the outputs (training, timing)
  // turns that off, and then only the outputs and memory marked keep_plain
  // (SyncedMemory::set_keep_plain: views someone holds) are converted.
  // ToPlain() converts everything at once.
  void set_plain_after_pass(bool value) { plain_after_pass_ = value; }
  bool plain_after_pass() const { return plain_after_pass_; }
  void ToPlain();
  // Bytes of the distinct activation (data) buffers the blobs use now.
  size_t ActivationBytes() const;

  // data -= diff for every learnable parameter (solvers prepare the diff).
  void Update();
  void ClearParamDiffs();
  // The same zeros, written only where the next backward pass does not
  // overwrite them (SyncedMemory::MarkZero): layers that compute a whole
  // parameter gradient at once (InnerProduct, the oneDNN convolution) write
  // it over the diff instead of adding to zeros. For callers that read the
  // diffs through Blob's accessors until then (the solver's iteration, the
  // time tool); memory with numpy views is zeroed at once.
  void ClearParamDiffsBeforeBackward();

  // Copies weights by layer name. Layers missing on either side are logged
  // and skipped; a same-named layer with other shapes is a crema::Error.
  void CopyTrainedLayersFrom(const NetParameter& param);
  // As above, for weights read from `source` (a file name, for messages),
  // but a crema::Error when the net has layers with parameters and the
  // weights match none of them by name: they belong to another net. Some
  // layers matching is fine (fine-tuning). Every error names `source`.
  void CopyTrainedLayersFrom(const NetParameter& param, const std::string& source);
  // Reads a .caffemodel (binary) or text file with weights, then copies them
  // with the check above.
  void CopyTrainedLayersFrom(const std::string& path);
  // Makes this net use other's parameter blobs (a test net shares the train net's).
  void ShareTrainedLayersWith(const Net& other);
  void ToProto(NetParameter* param, bool write_diff = false) const;

  // Called after layer `layer_id`'s Backward, when its parameter diffs are
  // final (gradient all-reduce hooks in distributed training).
  void set_after_backward(std::function<void(int layer_id)> hook) {
    after_backward_ = std::move(hook);
  }

  // Layer and blob filtering by NetState, as Caffe does.
  static NetParameter FilterNet(const NetParameter& param);
  static bool StateMeetsRule(const NetState& state, const NetStateRule& rule,
                             const std::string& layer_name);

  const std::string& name() const { return name_; }
  Phase phase() const { return phase_; }
  int num_layers() const { return static_cast<int>(layers_.size()); }
  const std::vector<std::string>& layer_names() const { return layer_names_; }
  const std::vector<std::string>& blob_names() const { return blob_names_; }
  const std::vector<std::shared_ptr<Blob>>& blobs() const { return blobs_; }
  const std::vector<std::shared_ptr<Layer>>& layers() const { return layers_; }
  const std::vector<std::vector<Blob*>>& bottom_vecs() const { return bottom_vecs_; }
  const std::vector<std::vector<Blob*>>& top_vecs() const { return top_vecs_; }
  const std::vector<int>& top_ids(int i) const { return top_id_vecs_[i]; }
  const std::vector<int>& bottom_ids(int i) const { return bottom_id_vecs_[i]; }
  const std::vector<std::vector<bool>>& bottom_need_backward() const {
    return bottom_need_backward_;
  }
  const std::vector<bool>& layer_need_backward() const { return layer_need_backward_; }
  // Whether layer i's Forward is done by the layer before it (fused ReLU).
  bool forward_fused(int i) const { return forward_fused_[i]; }
  const std::vector<float>& blob_loss_weights() const { return blob_loss_weights_; }

  // Every parameter blob, shared ones included, with what the net knows of
  // each (NetParam); and the learnable ones (each shared parameter once, at
  // its owner) with their multipliers (LearnableParam).
  const std::vector<std::shared_ptr<Blob>>& params() const { return params_; }
  const NetParam& param_info(int param_id) const { return param_info_[param_id]; }
  const std::vector<Blob*>& learnable_params() const { return learnable_params_; }
  const LearnableParam& learnable_info(int learnable_id) const {
    return learnable_info_[learnable_id];
  }
  // Indices into params() of each layer's parameter blobs.
  const std::vector<int>& param_ids(int layer_id) const { return param_id_vecs_[layer_id]; }

  int num_inputs() const { return static_cast<int>(net_input_blobs_.size()); }
  int num_outputs() const { return static_cast<int>(net_output_blobs_.size()); }
  const std::vector<Blob*>& input_blobs() const { return net_input_blobs_; }
  const std::vector<Blob*>& output_blobs() const { return net_output_blobs_; }
  const std::vector<int>& input_blob_indices() const { return net_input_blob_indices_; }
  const std::vector<int>& output_blob_indices() const { return net_output_blob_indices_; }

  bool has_blob(const std::string& name) const { return blob_names_index_.count(name) > 0; }
  // Throws crema::Error naming the blob (and listing the net's blobs) when absent.
  std::shared_ptr<Blob> blob_by_name(const std::string& name) const;
  bool has_layer(const std::string& name) const { return layer_names_index_.count(name) > 0; }
  std::shared_ptr<Layer> layer_by_name(const std::string& name) const;

  void set_debug_info(bool value) { debug_info_ = value; }
  // The numerics watch (train --check_numerics): after each layer's forward
  // its tops, after its backward its bottom and parameter diffs are checked
  // for NaN and infinity. non_finite() describes the first one found (layer,
  // type, direction, blob, value) until ClearNonFinite(); "" when none.
  void set_check_numerics(bool value) { check_numerics_ = value; }
  const std::string& non_finite() const { return non_finite_; }
  void ClearNonFinite() { non_finite_.clear(); }
  // "'ip1' blob 0": the layer and index of learnable parameter `learnable_id`.
  std::string DescribeLearnableParam(int learnable_id) const;
  // Logs each learnable parameter's data and diff magnitude after an update.
  void UpdateDebugInfo(int param_id) const;

 private:
  // What Init keeps while it wires the layers: blobs not yet consumed.
  struct Wiring {
    std::set<std::string> available_blobs;
    std::map<std::string, int> blob_name_to_idx;
    size_t memory_used = 0;
  };
  void Init(const NetParameter& param);
  void InitLayer(const NetParameter& param, int layer_id, Wiring* wiring);
  bool WireLayer(const NetParameter& param, int layer_id, Wiring* wiring);
  void SetUpLayer(int layer_id);
  void RecordTops(int layer_id, size_t* memory_used);
  bool InitParams(const NetParameter& param, int layer_id);
  void AppendTop(const NetParameter& param, int layer_id, int top_id,
                 std::set<std::string>* available_blobs,
                 std::map<std::string, int>* blob_name_to_idx);
  int AppendBottom(const NetParameter& param, int layer_id, int bottom_id,
                   std::set<std::string>* available_blobs,
                   std::map<std::string, int>* blob_name_to_idx);
  void AppendParam(const NetParameter& param, int layer_id, int param_id);
  void CheckSharedParam(const ParamSpec& spec, int layer_id, int param_id, int owner_id);
  void DecideBackward(bool force_backward);
  std::string DescribeBottoms(int layer_id) const;
  void ShareWeights();
  void PlanActivationSharing();
  void FuseInPlaceReLUs();
  void ForwardDebugInfo(int layer_id) const;
  void BackwardDebugInfo(int layer_id) const;
  void CheckForwardNumerics(int layer_id);
  void CheckBackwardNumerics(int layer_id);

  std::string name_;
  Phase phase_ = TRAIN;
  std::vector<std::shared_ptr<Layer>> layers_;
  std::vector<std::string> layer_names_;
  std::map<std::string, int> layer_names_index_;
  std::vector<bool> layer_need_backward_;
  std::vector<bool> forward_fused_;  // layers whose Forward an earlier one does

  std::vector<std::shared_ptr<Blob>> blobs_;
  std::vector<std::string> blob_names_;
  std::map<std::string, int> blob_names_index_;
  std::vector<bool> blob_need_backward_;
  std::vector<float> blob_loss_weights_;

  std::vector<std::vector<Blob*>> bottom_vecs_;
  std::vector<std::vector<int>> bottom_id_vecs_;
  std::vector<std::vector<bool>> bottom_need_backward_;
  std::vector<std::vector<Blob*>> top_vecs_;
  std::vector<std::vector<int>> top_id_vecs_;

  std::vector<std::vector<int>> param_id_vecs_;
  std::vector<std::shared_ptr<Blob>> params_;
  std::vector<NetParam> param_info_;  // one per params_ entry
  std::map<std::string, int> param_names_index_;
  std::vector<Blob*> learnable_params_;
  std::vector<LearnableParam> learnable_info_;  // one per learnable_params_ entry

  std::vector<Blob*> net_input_blobs_;
  std::vector<int> net_input_blob_indices_;
  std::vector<Blob*> net_output_blobs_;
  std::vector<int> net_output_blob_indices_;

  // Converts the data of `blobs` that the policy above says to.
  void DataToPlain(const std::vector<std::shared_ptr<Blob>>& blobs) const;

  bool share_activations_ = false;
  bool plain_after_pass_ = true;
  std::set<int> keep_activations_;  // blob ids with a buffer of their own
  struct ActivationGroup {
    std::vector<int> blobs;  // blob ids aliasing one buffer
    int first, last;         // layers between which its value is live
  };
  std::vector<ActivationGroup> activation_groups_;

  bool debug_info_ = false;
  bool check_numerics_ = false;
  std::string non_finite_;
  std::function<void(int)> after_backward_;
};

}  // namespace crema

#endif  // CREMA_NET_HPP_
