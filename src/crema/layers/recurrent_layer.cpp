#include "crema/layers/recurrent_layer.hpp"

#include <algorithm>

#include "crema/filler.hpp"
#include "crema/math/math_functions.hpp"

namespace crema {

void RecurrentLayer::LayerSetUp(const std::vector<Blob*>& bottom,
                                const std::vector<Blob*>& top) {
  const RecurrentParameter& param = layer_param_.recurrent_param();
  H_ = static_cast<int>(param.num_output());
  if (H_ <= 0) Fail("recurrent_param.num_output must be positive.");
  if (bottom[0]->num_axes() < 2) {
    Fail(
        "bottom 0 (x) must have at least 2 axes (timesteps, streams, ...); "
        "got ",
        bottom[0]->shape_string(), ".");
  }
  const int exposed = expose_hidden() ? NumStates() : 0;
  static_input_ = static_cast<int>(bottom.size()) > 2 + exposed;
  input_dim_ = bottom[0]->count(2);
  if (static_input_) {
    if (bottom[2]->num_axes() < 1) {
      Fail("bottom 2 (x_static) must have at least 1 axis (streams, ...).");
    }
    static_dim_ = bottom[2]->count(1);
  }

  // Caffe's unrolled-net order: W_x, b, [W_static], then the recurrent ones.
  params_loaded_ = !blobs_.empty();
  params_added_ = 0;
  const int G = GateDim();
  AddParam({G, input_dim_}, param.weight_filler(), "input weight");
  AddParam({G}, param.bias_filler(), "input bias");
  if (static_input_) {
    AddParam({G, static_dim_}, param.weight_filler(), "static input weight");
  }
  AddRecurrentParams();
  if (params_loaded_ && params_added_ != static_cast<int>(blobs_.size())) {
    Fail("has ", blobs_.size(), " parameter blobs but expects ", params_added_,
         static_input_ ? " (with a static input)." : ".");
  }
  param_propagate_down_.assign(blobs_.size(), true);
}

void RecurrentLayer::AddParam(const std::vector<int>& shape,
                              const FillerParameter& filler, const char* name) {
  if (params_loaded_) {
    if (params_added_ < static_cast<int>(blobs_.size()) &&
        blobs_[params_added_]->shape() != shape) {
      Fail("parameter blob ", params_added_, " (", name, ") has shape ",
           blobs_[params_added_]->shape_string(), " but ", ShapeString(shape),
           " is expected.");
    }
  } else {
    blobs_.push_back(std::make_shared<Blob>(shape));
    GetFiller(filler)->Fill(blobs_.back().get());
  }
  ++params_added_;
}

void RecurrentLayer::Reshape(const std::vector<Blob*>& bottom,
                             const std::vector<Blob*>& top) {
  const Blob& x = *bottom[0];
  if (x.num_axes() < 2 || x.count(2) != input_dim_) {
    Fail("bottom 0 (x) ", x.shape_string(),
         " must be timesteps x streams x ... with ", input_dim_,
         " values per step and stream (as at setup).");
  }
  T_ = x.shape(0);
  N_ = x.shape(1);
  if (bottom[1]->shape() != std::vector<int>{T_, N_}) {
    Fail("bottom 1 (cont) must be timesteps x streams (", T_, " x ", N_,
         ") to match x ", x.shape_string(), "; got ", bottom[1]->shape_string(),
         ".");
  }
  if (static_input_ &&
      (bottom[2]->shape(0) != N_ || bottom[2]->count(1) != static_dim_)) {
    Fail("bottom 2 (x_static) ", bottom[2]->shape_string(), " must be ", N_,
         " streams x ", static_dim_, " values.");
  }
  const std::vector<int> state_shape = {1, N_, H_};
  if (expose_hidden()) {
    const int first = 2 + static_input_;
    for (int i = 0; i < NumStates(); ++i) {
      if (bottom[first + i]->shape() != state_shape) {
        Fail("bottom ", first + i, " (initial state ", i, ") has shape ",
             bottom[first + i]->shape_string(), " but ",
             ShapeString(state_shape), " is expected.");
      }
      top[1 + i]->Reshape(state_shape);
    }
  }
  state_.resize(NumStates());
  for (auto& s : state_) {
    // A new number of streams starts from a zero state.
    if (static_cast<int>(s.size()) != N_ * H_) s.assign(N_ * H_, 0.f);
  }
  top[0]->Reshape({T_, N_, H_});
}

void RecurrentLayer::Reset() {
  for (auto& s : state_) std::fill(s.begin(), s.end(), 0.f);
}

const float* RecurrentLayer::InitialState(const std::vector<Blob*>& bottom,
                                          int i) const {
  if (expose_hidden()) return bottom[2 + static_input_ + i]->cpu_data();
  return state_[i].data();
}

float* RecurrentLayer::InitialStateDiff(const std::vector<Blob*>& bottom,
                                        const std::vector<bool>& propagate_down,
                                        int i) {
  const int index = 2 + static_input_ + i;
  if (!expose_hidden() || !propagate_down[index]) return nullptr;
  return bottom[index]->mutable_cpu_diff();
}

void RecurrentLayer::SetFinalState(const std::vector<Blob*>& top, int i,
                                   const float* value) {
  cpu_copy(N_ * H_, value, state_[i].data());
  if (expose_hidden()) cpu_copy(N_ * H_, value, top[1 + i]->mutable_cpu_data());
}

const float* RecurrentLayer::FinalStateDiff(const std::vector<Blob*>& top,
                                            int i) const {
  return expose_hidden() ? top[1 + i]->cpu_diff() : nullptr;
}

void RecurrentLayer::ForwardInputProjection(const std::vector<Blob*>& bottom,
                                            float* pre) {
  const int G = GateDim();
  const int rows = T_ * N_;
  cpu_gemm(CblasNoTrans, CblasTrans, rows, G, input_dim_, 1.f,
           bottom[0]->cpu_data(), blobs_[0]->cpu_data(), 0.f, pre);
  const float* bias = blobs_[1]->cpu_data();
  for (int r = 0; r < rows; ++r) cpu_axpy(G, 1.f, bias, pre + r * G);
  if (!static_input_) return;
  std::vector<float> projected(N_ * G);
  cpu_gemm(CblasNoTrans, CblasTrans, N_, G, static_dim_, 1.f,
           bottom[2]->cpu_data(), blobs_[2]->cpu_data(), 0.f, projected.data());
  for (int t = 0; t < T_; ++t) {
    cpu_axpy(N_ * G, 1.f, projected.data(), pre + t * N_ * G);
  }
}

void RecurrentLayer::BackwardInputProjection(
    const float* pre_diff, const std::vector<bool>& propagate_down,
    const std::vector<Blob*>& bottom) {
  const int G = GateDim();
  const int rows = T_ * N_;
  if (param_propagate_down(0)) {
    cpu_gemm(CblasTrans, CblasNoTrans, G, input_dim_, rows, 1.f, pre_diff,
             bottom[0]->cpu_data(), 1.f, blobs_[0]->mutable_cpu_diff());
  }
  if (param_propagate_down(1)) {
    float* bias_diff = blobs_[1]->mutable_cpu_diff();
    for (int r = 0; r < rows; ++r)
      cpu_axpy(G, 1.f, pre_diff + r * G, bias_diff);
  }
  if (propagate_down[0]) {
    cpu_gemm(CblasNoTrans, CblasNoTrans, rows, input_dim_, G, 1.f, pre_diff,
             blobs_[0]->cpu_data(), 0.f, bottom[0]->mutable_cpu_diff());
  }
  if (!static_input_) return;
  // The static input feeds every step: its gradient sums over time.
  std::vector<float> summed(N_ * G, 0.f);
  for (int t = 0; t < T_; ++t) {
    cpu_axpy(N_ * G, 1.f, pre_diff + t * N_ * G, summed.data());
  }
  if (param_propagate_down(2)) {
    cpu_gemm(CblasTrans, CblasNoTrans, G, static_dim_, N_, 1.f, summed.data(),
             bottom[2]->cpu_data(), 1.f, blobs_[2]->mutable_cpu_diff());
  }
  if (propagate_down[2]) {
    cpu_gemm(CblasNoTrans, CblasNoTrans, N_, static_dim_, G, 1.f, summed.data(),
             blobs_[2]->cpu_data(), 0.f, bottom[2]->mutable_cpu_diff());
  }
}

}  // namespace crema
