#include "crema/layers/inner_product_layer.hpp"

#include "crema/filler.hpp"
#include "crema/layer_registry.hpp"
#include "crema/math/math_functions.hpp"

namespace crema {

void InnerProductLayer::LayerSetUp(const std::vector<Blob*>& bottom,
                                   const std::vector<Blob*>& top) {
  const InnerProductParameter& param = layer_param_.inner_product_param();
  N_ = static_cast<int>(param.num_output());
  if (N_ <= 0) Fail("num_output must be positive.");
  bias_term_ = param.bias_term();
  transpose_ = param.transpose();
  axis_ = bottom[0]->CanonicalAxisIndex(param.axis());
  K_ = bottom[0]->count(axis_);

  const std::vector<int> weight_shape =
      transpose_ ? std::vector<int>{K_, N_} : std::vector<int>{N_, K_};
  const std::vector<int> bias_shape = {N_};
  if (!blobs_.empty()) {
    // Weights came with the layer (a model file): check, do not fill.
    const size_t expected = bias_term_ ? 2 : 1;
    if (blobs_.size() != expected) {
      Fail("has ", blobs_.size(), " parameter blobs but expects ", expected,
           " (bias_term is ", bias_term_ ? "true" : "false", ").");
    }
    if (blobs_[0]->count() != N_ * K_ ||
        blobs_[0]->shape(-1) != weight_shape[1]) {
      Fail("weight blob has shape ", blobs_[0]->shape_string(), " but ",
           ShapeString(weight_shape), " is expected (num_output ", N_, ", ", K_,
           " inputs per row from bottom ", bottom[0]->shape_string(),
           ", transpose ", transpose_ ? "true" : "false", ").");
    }
    if (bias_term_ && blobs_[1]->count() != N_) {
      Fail("bias blob has shape ", blobs_[1]->shape_string(), " but ",
           ShapeString(bias_shape), " is expected.");
    }
  } else {
    blobs_.push_back(std::make_shared<Blob>(weight_shape));
    GetFiller(param.weight_filler())->Fill(blobs_[0].get());
    if (bias_term_) {
      blobs_.push_back(std::make_shared<Blob>(bias_shape));
      GetFiller(param.bias_filler())->Fill(blobs_[1].get());
    }
  }
  param_propagate_down_.assign(blobs_.size(), true);
}

void InnerProductLayer::Reshape(const std::vector<Blob*>& bottom,
                                const std::vector<Blob*>& top) {
  axis_ =
      bottom[0]->CanonicalAxisIndex(layer_param_.inner_product_param().axis());
  if (bottom[0]->count(axis_) != K_) {
    Fail("bottom ", bottom[0]->shape_string(), " has ", bottom[0]->count(axis_),
         " values per row from axis ", axis_, ", but the weights expect ", K_,
         ".");
  }
  M_ = bottom[0]->count(0, axis_);
  // The top keeps the axes before `axis` and replaces the rest by N.
  std::vector<int> top_shape(bottom[0]->shape().begin(),
                             bottom[0]->shape().begin() + axis_);
  top_shape.push_back(N_);
  top[0]->Reshape(top_shape);
  if (bias_term_) {
    bias_multiplier_.Reshape({M_});
    cpu_set(M_, 1.f, bias_multiplier_.mutable_cpu_data());
  }
}

void InnerProductLayer::Forward_cpu(const std::vector<Blob*>& bottom,
                                    const std::vector<Blob*>& top) {
  float* top_data = top[0]->mutable_cpu_data();
  cpu_gemm(CblasNoTrans, transpose_ ? CblasNoTrans : CblasTrans, M_, N_, K_,
           1.f, bottom[0]->cpu_data(), blobs_[0]->cpu_data(), 0.f, top_data);
  if (bias_term_) {
    cpu_gemm(CblasNoTrans, CblasNoTrans, M_, N_, 1, 1.f,
             bias_multiplier_.cpu_data(), blobs_[1]->cpu_data(), 1.f, top_data);
  }
}

void InnerProductLayer::Backward_cpu(const std::vector<Blob*>& top,
                                     const std::vector<bool>& propagate_down,
                                     const std::vector<Blob*>& bottom) {
  const float* top_diff = top[0]->cpu_diff();
  const float* bottom_data = bottom[0]->cpu_data();
  // The gradients add to the diffs, or overwrite them where they hold
  // zeros not yet written (no pass over fc6's 38M values to fill them).
  float beta = 1.f;
  if (param_propagate_down(0)) {
    float* weight_diff = blobs_[0]->diff_to_accumulate(&beta);
    WeightGradient(top_diff, bottom_data, beta, weight_diff);
  }
  if (bias_term_ && param_propagate_down(1)) {
    float* bias_diff = blobs_[1]->diff_to_accumulate(&beta);
    cpu_gemv(CblasTrans, M_, N_, 1.f, top_diff, bias_multiplier_.cpu_data(), beta, bias_diff);
  }
  if (propagate_down[0]) {
    cpu_gemm(CblasNoTrans, transpose_ ? CblasTrans : CblasNoTrans, M_, K_, N_,
             1.f, top_diff, blobs_[0]->cpu_data(), 0.f,
             bottom[0]->mutable_cpu_diff());
  }
}

void InnerProductLayer::WeightGradient(const float* top_diff, const float* bottom_data,
                                       float beta, float* weight_diff) {
  if (transpose_) {  // dW (K x N) += bottom^T * top_diff
    cpu_gemm(CblasTrans, CblasNoTrans, K_, N_, M_, 1.f, bottom_data, top_diff, beta,
             weight_diff);
  } else {  // dW (N x K) += top_diff^T * bottom
    cpu_gemm(CblasTrans, CblasNoTrans, N_, K_, M_, 1.f, top_diff, bottom_data, beta,
             weight_diff);
  }
}

CREMA_REGISTER_LAYER("InnerProduct", InnerProductLayer);

}  // namespace crema
