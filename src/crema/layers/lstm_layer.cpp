#include "crema/layers/lstm_layer.hpp"

#include <cmath>

#include "crema/layer_registry.hpp"
#include "crema/math/math_functions.hpp"

namespace crema {
namespace {

float Sigmoid(float x) { return 1.f / (1.f + std::exp(-x)); }

// One LSTM step for N streams of width H. gates holds the gate inputs
// [i', f', o', g'] per stream and is overwritten with [i, f, o, g].
void LstmStepForward(int N, int H, const float* c_prev, const float* cont,
                     float* gates, float* c, float* h) {
  for (int n = 0; n < N; ++n) {
    float* x = gates + n * 4 * H;
    for (int d = 0; d < H; ++d) {
      const float i = Sigmoid(x[d]);
      const float f = Sigmoid(x[H + d]);
      const float o = Sigmoid(x[2 * H + d]);
      const float g = std::tanh(x[3 * H + d]);
      x[d] = i;
      x[H + d] = f;
      x[2 * H + d] = o;
      x[3 * H + d] = g;
      const int k = n * H + d;
      c[k] = cont[n] * f * c_prev[k] + i * g;
      h[k] = o * std::tanh(c[k]);
    }
  }
}

// The gradient of LstmStepForward. dc and dh are the gradients of c_t and
// h_t (dc may be null: zero); writes the gradients of c_{t-1} (when
// dc_prev is not null) and of the gate inputs.
void LstmStepBackward(int N, int H, const float* c_prev, const float* cont,
                      const float* acts, const float* c, const float* dc,
                      const float* dh, float* dc_prev, float* dgates) {
  for (int n = 0; n < N; ++n) {
    const float* a = acts + n * 4 * H;
    float* da = dgates + n * 4 * H;
    for (int d = 0; d < H; ++d) {
      const int k = n * H + d;
      const float i = a[d], f = a[H + d], o = a[2 * H + d], g = a[3 * H + d];
      const float tanh_c = std::tanh(c[k]);
      const float dc_total =
          (dc ? dc[k] : 0.f) + dh[k] * o * (1.f - tanh_c * tanh_c);
      const float di = dc_total * g;
      const float df = dc_total * cont[n] * c_prev[k];
      const float d_o = dh[k] * tanh_c;
      const float dg = dc_total * i;
      da[d] = di * i * (1.f - i);
      da[H + d] = df * f * (1.f - f);
      da[2 * H + d] = d_o * o * (1.f - o);
      da[3 * H + d] = dg * (1.f - g * g);
      if (dc_prev) dc_prev[k] = dc_total * cont[n] * f;
    }
  }
}

}  // namespace

void LSTMLayer::AddRecurrentParams() {
  AddParam({4 * H_, H_}, layer_param_.recurrent_param().weight_filler(),
           "W_hc");
}

void LSTMLayer::Forward_cpu(const std::vector<Blob*>& bottom,
                            const std::vector<Blob*>& top) {
  const int step = N_ * H_;
  gates_.Reshape({T_, N_, 4 * H_});
  cell_.Reshape({T_, N_, H_});
  h0_.assign(InitialState(bottom, 0), InitialState(bottom, 0) + step);
  c0_.assign(InitialState(bottom, 1), InitialState(bottom, 1) + step);
  float* gates = gates_.mutable_cpu_data();
  float* cell = cell_.mutable_cpu_data();
  float* hidden = top[0]->mutable_cpu_data();
  const float* cont = bottom[1]->cpu_data();
  const float* w_hc = blobs_[recurrent_param_index()]->cpu_data();
  ForwardInputProjection(bottom, gates);

  std::vector<float> conted(step);
  for (int t = 0; t < T_; ++t) {
    const float* h_prev = t == 0 ? h0_.data() : hidden + (t - 1) * step;
    const float* c_prev = t == 0 ? c0_.data() : cell + (t - 1) * step;
    for (int n = 0; n < N_; ++n) {
      cpu_scale(H_, cont[t * N_ + n], h_prev + n * H_, conted.data() + n * H_);
    }
    float* gates_t = gates + t * 4 * step;
    cpu_gemm(CblasNoTrans, CblasTrans, N_, 4 * H_, H_, 1.f, conted.data(), w_hc,
             1.f, gates_t);
    LstmStepForward(N_, H_, c_prev, cont + t * N_, gates_t, cell + t * step,
                    hidden + t * step);
  }
  SetFinalState(top, 0, hidden + (T_ - 1) * step);
  SetFinalState(top, 1, cell + (T_ - 1) * step);
}

void LSTMLayer::Backward_cpu(const std::vector<Blob*>& top,
                             const std::vector<bool>& propagate_down,
                             const std::vector<Blob*>& bottom) {
  const int r = recurrent_param_index();
  const int step = N_ * H_;
  const float* acts = gates_.cpu_data();
  const float* cell = cell_.cpu_data();
  const float* hidden = top[0]->cpu_data();
  const float* hidden_diff = top[0]->cpu_diff();
  const float* cont = bottom[1]->cpu_data();
  float* dgates = gates_.mutable_cpu_diff();

  // Gradients flowing into step t from step t + 1 (or the exposed finals).
  std::vector<float> dh_next(step, 0.f), dc_next(step, 0.f);
  if (const float* d = FinalStateDiff(top, 0)) dh_next.assign(d, d + step);
  if (const float* d = FinalStateDiff(top, 1)) dc_next.assign(d, d + step);
  std::vector<float> dh(step), dc_prev(step), conted(step), dconted(step);
  for (int t = T_ - 1; t >= 0; --t) {
    const float* h_prev = t == 0 ? h0_.data() : hidden + (t - 1) * step;
    const float* c_prev = t == 0 ? c0_.data() : cell + (t - 1) * step;
    for (int i = 0; i < step; ++i)
      dh[i] = hidden_diff[t * step + i] + dh_next[i];
    float* dgates_t = dgates + t * 4 * step;
    LstmStepBackward(N_, H_, c_prev, cont + t * N_, acts + t * 4 * step,
                     cell + t * step, dc_next.data(), dh.data(), dc_prev.data(),
                     dgates_t);
    for (int n = 0; n < N_; ++n) {
      cpu_scale(H_, cont[t * N_ + n], h_prev + n * H_, conted.data() + n * H_);
    }
    if (param_propagate_down(r)) {
      cpu_gemm(CblasTrans, CblasNoTrans, 4 * H_, H_, N_, 1.f, dgates_t,
               conted.data(), 1.f, blobs_[r]->mutable_cpu_diff());
    }
    cpu_gemm(CblasNoTrans, CblasNoTrans, N_, H_, 4 * H_, 1.f, dgates_t,
             blobs_[r]->cpu_data(), 0.f, dconted.data());
    for (int n = 0; n < N_; ++n) {
      cpu_scale(H_, cont[t * N_ + n], dconted.data() + n * H_,
                dh_next.data() + n * H_);
    }
    dc_next = dc_prev;
  }
  if (float* d = InitialStateDiff(bottom, propagate_down, 0)) {
    cpu_copy(step, dh_next.data(), d);
  }
  if (float* d = InitialStateDiff(bottom, propagate_down, 1)) {
    cpu_copy(step, dc_next.data(), d);
  }
  BackwardInputProjection(dgates, propagate_down, bottom);
}

void LSTMUnitLayer::Reshape(const std::vector<Blob*>& bottom,
                            const std::vector<Blob*>& top) {
  const Blob& c_prev = *bottom[0];
  if (c_prev.num_axes() != 3 || c_prev.shape(0) != 1) {
    Fail("bottom 0 (c_{t-1}) must be 1 x N x H; got ", c_prev.shape_string(),
         ".");
  }
  N_ = c_prev.shape(1);
  H_ = c_prev.shape(2);
  if (bottom[1]->shape() != std::vector<int>{1, N_, 4 * H_}) {
    Fail("bottom 1 (gate input) must be 1 x ", N_, " x ", 4 * H_,
         " for c_{t-1} ", c_prev.shape_string(), "; got ",
         bottom[1]->shape_string(), ".");
  }
  if (bottom[2]->shape() != std::vector<int>{1, N_}) {
    Fail("bottom 2 (cont) must be 1 x ", N_, "; got ",
         bottom[2]->shape_string(), ".");
  }
  top[0]->ReshapeLike(c_prev);
  top[1]->ReshapeLike(c_prev);
  acts_.ReshapeLike(*bottom[1]);
}

void LSTMUnitLayer::Forward_cpu(const std::vector<Blob*>& bottom,
                                const std::vector<Blob*>& top) {
  float* acts = acts_.mutable_cpu_data();
  cpu_copy(acts_.count(), bottom[1]->cpu_data(), acts);
  LstmStepForward(N_, H_, bottom[0]->cpu_data(), bottom[2]->cpu_data(), acts,
                  top[0]->mutable_cpu_data(), top[1]->mutable_cpu_data());
}

void LSTMUnitLayer::Backward_cpu(const std::vector<Blob*>& top,
                                 const std::vector<bool>& propagate_down,
                                 const std::vector<Blob*>& bottom) {
  if (!propagate_down[0] && !propagate_down[1]) return;
  std::vector<float> dc_prev(N_ * H_), dgates(4 * N_ * H_);
  LstmStepBackward(N_, H_, bottom[0]->cpu_data(), bottom[2]->cpu_data(),
                   acts_.cpu_data(), top[0]->cpu_data(), top[0]->cpu_diff(),
                   top[1]->cpu_diff(), dc_prev.data(), dgates.data());
  if (propagate_down[0]) {
    cpu_copy(N_ * H_, dc_prev.data(), bottom[0]->mutable_cpu_diff());
  }
  if (propagate_down[1]) {
    cpu_copy(4 * N_ * H_, dgates.data(), bottom[1]->mutable_cpu_diff());
  }
}

CREMA_REGISTER_LAYER("LSTM", LSTMLayer);
CREMA_REGISTER_LAYER("LSTMUnit", LSTMUnitLayer);

}  // namespace crema
