// LSTM: Caffe's long short-term memory layer (see recurrent_layer.hpp for
// the bottoms and tops), and LSTMUnit, the one-step cell it is made of.
//
// With H = num_output, for each step t the gate input is
//   a_t = W_xc x_t + b_c [+ W_xc_static x_static] + W_hc (cont_t h_{t-1})
// split into four H-wide parts [i', f', o', g'] (in that order); then
//   i = sigmoid(i'), f = sigmoid(f'), o = sigmoid(o'), g = tanh(g')
//   c_t = cont_t * f * c_{t-1} + i * g
//   h_t = o * tanh(c_t)
// top[0] holds h. Parameter blobs, in Caffe's order: W_xc (4H x input),
// b_c (4H), [W_xc_static (4H x static input)], W_hc (4H x H).
#ifndef CREMA_LAYERS_LSTM_LAYER_HPP_
#define CREMA_LAYERS_LSTM_LAYER_HPP_

#include <vector>

#include "crema/blob.hpp"
#include "crema/layers/recurrent_layer.hpp"

namespace crema {

class LSTMLayer : public RecurrentLayer {
 public:
  explicit LSTMLayer(const LayerParameter& param) : RecurrentLayer(param) {}
  const char* type() const override { return "LSTM"; }

 protected:
  int NumStates() const override { return 2; }
  int GateDim() const override { return 4 * H_; }
  void AddRecurrentParams() override;
  void Forward_cpu(const std::vector<Blob*>& bottom,
                   const std::vector<Blob*>& top) override;
  void Backward_cpu(const std::vector<Blob*>& top,
                    const std::vector<bool>& propagate_down,
                    const std::vector<Blob*>& bottom) override;

 private:
  Blob gates_;  // T x N x 4H: gate inputs, then (in place) activations
  Blob cell_;   // T x N x H: c_1 .. c_T
  std::vector<float> h0_, c0_;  // the initial states this Forward used
};

// LSTMUnit: one LSTM step. Bottoms: c_{t-1} (1 x N x H), the gate input
// a_t (1 x N x 4H) and cont_t (1 x N); tops: c_t and h_t (1 x N x H).
// No gradient for cont.
class LSTMUnitLayer : public Layer {
 public:
  explicit LSTMUnitLayer(const LayerParameter& param) : Layer(param) {}
  void Reshape(const std::vector<Blob*>& bottom,
               const std::vector<Blob*>& top) override;
  const char* type() const override { return "LSTMUnit"; }
  int ExactNumBottomBlobs() const override { return 3; }
  int ExactNumTopBlobs() const override { return 2; }
  bool AllowForceBackward(int bottom_index) const override {
    return bottom_index != 2;
  }

 protected:
  void Forward_cpu(const std::vector<Blob*>& bottom,
                   const std::vector<Blob*>& top) override;
  void Backward_cpu(const std::vector<Blob*>& top,
                    const std::vector<bool>& propagate_down,
                    const std::vector<Blob*>& bottom) override;

 private:
  int N_ = 0, H_ = 0;
  Blob acts_;  // 1 x N x 4H gate activations
};

}  // namespace crema

#endif  // CREMA_LAYERS_LSTM_LAYER_HPP_
