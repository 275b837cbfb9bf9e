// Layer: the unit of computation. A layer reads its bottom blobs and writes
// its top blobs (Forward), and turns top diffs into bottom diffs and
// parameter diffs (Backward). SetUp checks the blob counts, runs the layer's
// one-time LayerSetUp, shapes the tops (Reshape) and sets loss weights.
#ifndef CREMA_LAYER_HPP_
#define CREMA_LAYER_HPP_

#include <memory>
#include <string>
#include <vector>

#include "crema/blob.hpp"
#include "crema/common.hpp"
#include "crema/proto/crema.pb.h"

namespace crema {

class Layer {
 public:
  explicit Layer(const LayerParameter& param);
  virtual ~Layer() = default;
  Layer(const Layer&) = delete;
  Layer& operator=(const Layer&) = delete;

  void SetUp(const std::vector<Blob*>& bottom, const std::vector<Blob*>& top);

  // One-time setup: read parameters, create learnable blobs.
  virtual void LayerSetUp(const std::vector<Blob*>& bottom,
                          const std::vector<Blob*>& top) {}
  // Shapes the tops (and internal buffers) from the bottoms' shapes.
  virtual void Reshape(const std::vector<Blob*>& bottom,
                       const std::vector<Blob*>& top) = 0;

  // Reshapes, computes the tops and returns the weighted loss.
  float Forward(const std::vector<Blob*>& bottom, const std::vector<Blob*>& top);
  void Backward(const std::vector<Blob*>& top,
                const std::vector<bool>& propagate_down,
                const std::vector<Blob*>& bottom);

  // Learnable parameters (weights, biases) and other saved state.
  std::vector<std::shared_ptr<Blob>>& blobs() { return blobs_; }
  const LayerParameter& layer_param() const { return layer_param_; }
  // Writes the parameter and its blobs into param.
  virtual void ToProto(LayerParameter* param, bool write_diff = false) const;

  float loss(int top_index) const {
    return top_index < static_cast<int>(loss_.size()) ? loss_[top_index] : 0.f;
  }
  void set_loss(int top_index, float value);

  virtual const char* type() const { return ""; }
  const std::string& name() const { return layer_param_.name(); }
  Phase phase() const { return phase_; }
  // The engine that runs this layer: the one the registry built it for, or
  // the reference ("CAFFE") while a fast engine hands its current shapes to
  // the reference implementation.
  std::string engine() const;

  // Blob-count contracts; -1 means "no constraint".
  virtual int ExactNumBottomBlobs() const { return -1; }
  virtual int MinBottomBlobs() const { return -1; }
  virtual int MaxBottomBlobs() const { return -1; }
  virtual int ExactNumTopBlobs() const { return -1; }
  virtual int MinTopBlobs() const { return -1; }
  virtual int MaxTopBlobs() const { return -1; }
  virtual bool EqualNumBottomTopBlobs() const { return false; }
  // Whether the net should create anonymous tops up to the minimum count.
  virtual bool AutoTopBlobs() const { return false; }
  // Whether force_backward may ask for a diff for this bottom (labels: no).
  virtual bool AllowForceBackward(int bottom_index) const { return true; }
  // Post-op fusion: the net offers a layer whose single top is rectified in
  // place by the next layer (a ReLU) to apply max(x, 0) + negative_slope *
  // min(x, 0) to that top itself as it writes it. A layer that can returns
  // true and does so from then on; the net then skips the ReLU's Forward
  // (its Backward still runs, and sees the same rectified values).
  virtual bool FuseReLU(float negative_slope) { return false; }

  // The net tells each layer whether it will ever call its Backward (a
  // layer with no gradient to compute, as in an inference net, is never
  // asked), so that fast engines can build inference-only kernels. True
  // until told otherwise: a layer used on its own may be asked.
  void set_backward_needed(bool needed) { backward_needed_ = needed; }
  bool backward_needed() const { return backward_needed_; }

  // Layouts (syncedmem.hpp says where they change). Whether Forward_cpu and
  // Backward_cpu read blobs held in an engine's own layout; for a layer that
  // reads plain values only (the default), Forward and Backward convert the
  // blobs it reads first. Engines' layers answer for the path they take
  // after Reshape.
  virtual bool ReadsEngineLayouts() const { return false; }
  // A net lets its layers leave outputs in an engine's layout for the next
  // layer; a layer used on its own (the default) hands back plain values.
  void set_keep_engine_layouts(bool keep) { keep_engine_layouts_ = keep; }

  bool param_propagate_down(int param_id) const {
    return param_id < static_cast<int>(param_propagate_down_.size())
               ? param_propagate_down_[param_id]
               : false;
  }
  void set_param_propagate_down(int param_id, bool value);

 protected:
  virtual void Forward_cpu(const std::vector<Blob*>& bottom,
                           const std::vector<Blob*>& top) = 0;
  virtual void Backward_cpu(const std::vector<Blob*>& top,
                            const std::vector<bool>& propagate_down,
                            const std::vector<Blob*>& bottom) = 0;

  // "layer 'conv1' (Convolution)": for error messages.
  std::string Describe() const;
  // Throws a crema::Error that starts with Describe().
  template <typename... Args>
  [[noreturn]] void Fail(const Args&... args) const {
    Throw(Describe(), ": ", args...);
  }
  // A fast engine tells, from Reshape, whether it hands the current shapes
  // to the reference implementation, and why; the first time is logged.
  void ReportFallback(bool falls_back, const char* reason);

  LayerParameter layer_param_;
  Phase phase_;
  std::vector<std::shared_ptr<Blob>> blobs_;
  std::vector<bool> param_propagate_down_;
  std::vector<float> loss_;
  bool backward_needed_ = true;

 private:
  friend class LayerRegistry;  // names engine_

  void CheckBlobCounts(const std::vector<Blob*>& bottom,
                       const std::vector<Blob*>& top) const;
  void SetLossWeights(const std::vector<Blob*>& top);
  // The layout boundary (layer_layouts.cpp): plain values for a layer that
  // reads nothing else, plain outputs for a layer on its own.
  void PrepareForward(const std::vector<Blob*>& bottom, const std::vector<Blob*>& top);
  void PrepareBackward(const std::vector<Blob*>& top, const std::vector<Blob*>& bottom);
  void FinishPass(const std::vector<Blob*>& outputs, bool diffs);

  bool keep_engine_layouts_ = false;

  std::string engine_;
  bool falls_back_ = false;
  bool fallback_logged_ = false;
};

// Loss layers: one loss top by default weighted 1; labels get no gradient.
class LossLayer : public Layer {
 public:
  explicit LossLayer(const LayerParameter& param) : Layer(param) {}
  void LayerSetUp(const std::vector<Blob*>& bottom,
                  const std::vector<Blob*>& top) override;
  void Reshape(const std::vector<Blob*>& bottom,
               const std::vector<Blob*>& top) override;
  int ExactNumBottomBlobs() const override { return 2; }
  int ExactNumTopBlobs() const override { return 1; }
  bool AutoTopBlobs() const override { return true; }
  bool AllowForceBackward(int bottom_index) const override {
    return bottom_index != 1;
  }

 protected:
  // The normalization loss_param asks for: `normalization` when given, else
  // the legacy `normalize` (true: VALID, false: BATCH_SIZE), else
  // default_mode (Caffe's default differs between loss layers).
  LossParameter::NormalizationMode ReadNormalization(
      LossParameter::NormalizationMode default_mode) const;
  // The divisor of a summed loss, as Caffe computes it: FULL counts every
  // position (outer_num * inner_num), VALID the positions not ignored
  // (valid_count; -1 means all of them), BATCH_SIZE outer_num, NONE 1. Never
  // below 1, so a batch whose labels are all ignored gives a loss of 0.
  static float GetNormalizer(LossParameter::NormalizationMode mode,
                             int outer_num, int inner_num, int valid_count);
};

// Layers that transform each element independently: one bottom, one top of
// the same shape (in place allowed).
class NeuronLayer : public Layer {
 public:
  explicit NeuronLayer(const LayerParameter& param) : Layer(param) {}
  void Reshape(const std::vector<Blob*>& bottom,
               const std::vector<Blob*>& top) override;
  int ExactNumBottomBlobs() const override { return 1; }
  int ExactNumTopBlobs() const override { return 1; }
};

}  // namespace crema

#endif  // CREMA_LAYER_HPP_
