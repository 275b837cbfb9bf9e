#include "crema/layers/rnn_layer.hpp"

#include <cmath>

#include "crema/layer_registry.hpp"
#include "crema/math/math_functions.hpp"

namespace crema {

void RNNLayer::AddRecurrentParams() {
  const RecurrentParameter& param = layer_param_.recurrent_param();
  AddParam({H_, H_}, param.weight_filler(), "W_hh");
  AddParam({H_, H_}, param.weight_filler(), "W_ho");
  AddParam({H_}, param.bias_filler(), "b_o");
}

void RNNLayer::Forward_cpu(const std::vector<Blob*>& bottom,
                           const std::vector<Blob*>& top) {
  const int r = recurrent_param_index();
  const int step = N_ * H_;
  pre_.Reshape({T_, N_, H_});
  hidden_.Reshape({T_, N_, H_});
  h0_.assign(InitialState(bottom, 0), InitialState(bottom, 0) + step);
  float* pre = pre_.mutable_cpu_data();
  float* hidden = hidden_.mutable_cpu_data();
  const float* cont = bottom[1]->cpu_data();
  const float* w_hh = blobs_[r]->cpu_data();
  ForwardInputProjection(bottom, pre);

  std::vector<float> conted(step);
  for (int t = 0; t < T_; ++t) {
    const float* h_prev = t == 0 ? h0_.data() : hidden + (t - 1) * step;
    for (int n = 0; n < N_; ++n) {
      cpu_scale(H_, cont[t * N_ + n], h_prev + n * H_, conted.data() + n * H_);
    }
    float* a = pre + t * step;
    cpu_gemm(CblasNoTrans, CblasTrans, N_, H_, H_, 1.f, conted.data(), w_hh,
             1.f, a);
    for (int i = 0; i < step; ++i) hidden[t * step + i] = std::tanh(a[i]);
  }

  // o = tanh(W_ho h + b_o) for every step at once.
  float* out = top[0]->mutable_cpu_data();
  cpu_gemm(CblasNoTrans, CblasTrans, T_ * N_, H_, H_, 1.f, hidden,
           blobs_[r + 1]->cpu_data(), 0.f, out);
  const float* b_o = blobs_[r + 2]->cpu_data();
  for (int row = 0; row < T_ * N_; ++row) {
    for (int j = 0; j < H_; ++j) {
      out[row * H_ + j] = std::tanh(out[row * H_ + j] + b_o[j]);
    }
  }
  SetFinalState(top, 0, hidden + (T_ - 1) * step);
}

void RNNLayer::Backward_cpu(const std::vector<Blob*>& top,
                            const std::vector<bool>& propagate_down,
                            const std::vector<Blob*>& bottom) {
  const int r = recurrent_param_index();
  const int step = N_ * H_;
  const int total = T_ * step;
  const float* hidden = hidden_.cpu_data();
  const float* cont = bottom[1]->cpu_data();

  // Output stage: z = W_ho h + b_o, o = tanh(z).
  std::vector<float> dz(total);
  const float* out = top[0]->cpu_data();
  const float* out_diff = top[0]->cpu_diff();
  for (int i = 0; i < total; ++i) dz[i] = out_diff[i] * (1.f - out[i] * out[i]);
  if (param_propagate_down(r + 1)) {
    cpu_gemm(CblasTrans, CblasNoTrans, H_, H_, T_ * N_, 1.f, dz.data(), hidden,
             1.f, blobs_[r + 1]->mutable_cpu_diff());
  }
  if (param_propagate_down(r + 2)) {
    float* b_o_diff = blobs_[r + 2]->mutable_cpu_diff();
    for (int row = 0; row < T_ * N_; ++row) {
      cpu_axpy(H_, 1.f, dz.data() + row * H_, b_o_diff);
    }
  }
  // dh accumulates the gradient of every h_t, from o_t and from step t+1.
  std::vector<float> dh(total);
  cpu_gemm(CblasNoTrans, CblasNoTrans, T_ * N_, H_, H_, 1.f, dz.data(),
           blobs_[r + 1]->cpu_data(), 0.f, dh.data());
  if (const float* final_diff = FinalStateDiff(top, 0)) {
    cpu_axpy(step, 1.f, final_diff, dh.data() + (T_ - 1) * step);
  }

  float* da = pre_.mutable_cpu_diff();  // gradient of the pre-activations
  float* h0_diff = InitialStateDiff(bottom, propagate_down, 0);
  std::vector<float> conted(step), dconted(step);
  for (int t = T_ - 1; t >= 0; --t) {
    const float* h = hidden + t * step;
    float* da_t = da + t * step;
    for (int i = 0; i < step; ++i) {
      da_t[i] = dh[t * step + i] * (1.f - h[i] * h[i]);
    }
    const float* h_prev = t == 0 ? h0_.data() : hidden + (t - 1) * step;
    for (int n = 0; n < N_; ++n) {
      cpu_scale(H_, cont[t * N_ + n], h_prev + n * H_, conted.data() + n * H_);
    }
    if (param_propagate_down(r)) {
      cpu_gemm(CblasTrans, CblasNoTrans, H_, H_, N_, 1.f, da_t, conted.data(),
               1.f, blobs_[r]->mutable_cpu_diff());
    }
    if (t == 0 && !h0_diff) break;
    cpu_gemm(CblasNoTrans, CblasNoTrans, N_, H_, H_, 1.f, da_t,
             blobs_[r]->cpu_data(), 0.f, dconted.data());
    float* dh_prev = t == 0 ? h0_diff : dh.data() + (t - 1) * step;
    if (t == 0) cpu_zero(step, h0_diff);
    for (int n = 0; n < N_; ++n) {
      cpu_axpy(H_, cont[t * N_ + n], dconted.data() + n * H_, dh_prev + n * H_);
    }
  }
  BackwardInputProjection(da, propagate_down, bottom);
}

CREMA_REGISTER_LAYER("RNN", RNNLayer);

}  // namespace crema
