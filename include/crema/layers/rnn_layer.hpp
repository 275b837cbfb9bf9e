// RNN: Caffe's simple recurrent network (see recurrent_layer.hpp for the
// bottoms and tops). With H = num_output, for each step t:
//   h_t = tanh(W_xh x_t + b_h [+ W_xh_static x_static] + W_hh (cont_t h_{t-1}))
//   o_t = tanh(W_ho h_t + b_o)
// top[0] holds o. Parameter blobs, in Caffe's order: W_xh (H x input),
// b_h (H), [W_xh_static (H x static input)], W_hh (H x H), W_ho (H x H),
// b_o (H).
#ifndef CREMA_LAYERS_RNN_LAYER_HPP_
#define CREMA_LAYERS_RNN_LAYER_HPP_

#include <vector>

#include "crema/blob.hpp"
#include "crema/layers/recurrent_layer.hpp"

namespace crema {

class RNNLayer : public RecurrentLayer {
 public:
  explicit RNNLayer(const LayerParameter& param) : RecurrentLayer(param) {}
  const char* type() const override { return "RNN"; }

 protected:
  int NumStates() const override { return 1; }
  int GateDim() const override { return H_; }
  void AddRecurrentParams() override;
  void Forward_cpu(const std::vector<Blob*>& bottom,
                   const std::vector<Blob*>& top) override;
  void Backward_cpu(const std::vector<Blob*>& top,
                    const std::vector<bool>& propagate_down,
                    const std::vector<Blob*>& bottom) override;

 private:
  Blob pre_;               // T x N x H: pre-activations of h
  Blob hidden_;            // T x N x H: h_1 .. h_T
  std::vector<float> h0_;  // the initial state this Forward used
};

}  // namespace crema

#endif  // CREMA_LAYERS_RNN_LAYER_HPP_
