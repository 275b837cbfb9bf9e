// RecurrentLayer: what RNN and LSTM share. Caffe's recurrent layer contract:
//
//   bottom[0] x:        T x N x ...   (T timesteps of N independent streams)
//   bottom[1] cont:     T x N         (0 starts a new sequence, 1 continues)
//   bottom[2] x_static: N x ...       (optional; the same input every step)
//   then, with recurrent_param.expose_hidden, the initial states
//   (RNN: h_0; LSTM: h_0, c_0), each 1 x N x num_output.
//   top[0]: T x N x num_output; with expose_hidden also the final states
//   (RNN: h_T; LSTM: h_T, c_T), each 1 x N x num_output.
//
// Without expose_hidden the final states of one Forward are the initial
// states of the next (zero at first), as in Caffe; cont decides whether a
// step sees them. Caffe unrolls the recurrence into an internal Net; crema
// computes the same function directly and keeps the parameter blobs in
// the unrolled net's order and shapes, so Caffe weights load unchanged.
//
// Gradients: cont gets none. Unlike Caffe (whose unrolled net drops them),
// the exposed initial states receive their gradients and the exposed final
// states' top diffs flow back, so the exposed states are trainable inputs.
#ifndef CREMA_LAYERS_RECURRENT_LAYER_HPP_
#define CREMA_LAYERS_RECURRENT_LAYER_HPP_

#include <vector>

#include "crema/layer.hpp"

namespace crema {

class RecurrentLayer : public Layer {
 public:
  explicit RecurrentLayer(const LayerParameter& param) : Layer(param) {}
  void LayerSetUp(const std::vector<Blob*>& bottom,
                  const std::vector<Blob*>& top) override;
  void Reshape(const std::vector<Blob*>& bottom,
               const std::vector<Blob*>& top) override;

  int MinBottomBlobs() const override {
    return 2 + (expose_hidden() ? NumStates() : 0);
  }
  int MaxBottomBlobs() const override { return MinBottomBlobs() + 1; }
  int ExactNumTopBlobs() const override {
    return 1 + (expose_hidden() ? NumStates() : 0);
  }
  bool AllowForceBackward(int bottom_index) const override {
    return bottom_index != 1;  // no gradient for the continuation flags
  }

  // Zeroes the carried hidden state (the next Forward starts afresh).
  void Reset();

 protected:
  // Recurrent states: RNN 1 (h), LSTM 2 (h, c).
  virtual int NumStates() const = 0;
  // Width of the input projections: RNN num_output, LSTM 4 * num_output.
  virtual int GateDim() const = 0;
  // Appends the parameters after the input projections (W_hh ...), filled.
  virtual void AddRecurrentParams() = 0;

  bool expose_hidden() const {
    return layer_param_.recurrent_param().expose_hidden();
  }
  // Index of the recurrent weight among blobs_ (after W_x, b, [W_static]).
  int recurrent_param_index() const { return static_input_ ? 3 : 2; }

  // Adds the next parameter blob, of `shape`, filled by `filler`; when the
  // weights came with the layer, checks the loaded blob's shape instead.
  void AddParam(const std::vector<int>& shape, const FillerParameter& filler,
                const char* name);

  // The initial value of state i (1 x N x H): the exposed bottom, or the
  // state carried over from the previous Forward.
  const float* InitialState(const std::vector<Blob*>& bottom, int i) const;
  // Where state i's initial-state gradient goes (nullptr: nowhere).
  float* InitialStateDiff(const std::vector<Blob*>& bottom,
                          const std::vector<bool>& propagate_down, int i);
  // Stores final state i (N x H values) for the next Forward and, with
  // expose_hidden, in its top.
  void SetFinalState(const std::vector<Blob*>& top, int i, const float* value);
  // The top diff of final state i, or nullptr when not exposed.
  const float* FinalStateDiff(const std::vector<Blob*>& top, int i) const;

  // pre (T*N x G) = x W_x^T + b, plus W_static x_static at every step.
  void ForwardInputProjection(const std::vector<Blob*>& bottom, float* pre);
  // Given d pre (T*N x G): parameter gradients of W_x, b, W_static and the
  // input gradients of x and x_static.
  void BackwardInputProjection(const float* pre_diff,
                               const std::vector<bool>& propagate_down,
                               const std::vector<Blob*>& bottom);

  int T_ = 0, N_ = 0, H_ = 0;
  int input_dim_ = 0;   // x->count(2)
  int static_dim_ = 0;  // x_static->count(1)
  bool static_input_ = false;
  bool params_loaded_ = false;  // blobs_ came with the LayerParameter
  int params_added_ = 0;
  // The carried final states, N x H each.
  std::vector<std::vector<float>> state_;
};

}  // namespace crema

#endif  // CREMA_LAYERS_RECURRENT_LAYER_HPP_
