#include "solver/solver_test_layers.hpp"

#include <cmath>
#include <sstream>

#include "crema/filler.hpp"
#include "crema/layer.hpp"
#include "crema/layer_registry.hpp"
#include "crema/math/math_functions.hpp"
#include "crema/stateful.hpp"

namespace crema {
namespace testing {

double RecordFeature(int record, int k) { return std::sin(1.0 + 3.1 * record + 1.7 * k); }
double RecordLabel(int record, int m) { return std::cos(0.5 + 2.3 * record - 0.9 * m); }

std::string TinyNetText(int batch, int k, int m, const std::string& data_type,
                        const std::string& extra_ip) {
  std::ostringstream os;
  os << "name: 'tiny'\n"
     << "layer { name: 'data' type: '" << data_type << "' top: 'x' top: 'y'\n"
     << "  dummy_data_param { shape { dim: " << batch << " dim: " << k << " }\n"
     << "                     shape { dim: " << batch << " dim: " << m << " } } }\n"
     << "layer { name: 'ip' type: 'TestLinear' bottom: 'x' top: 'p' " << extra_ip << "\n"
     << "  inner_product_param { num_output: " << m << "\n"
     << "    weight_filler { type: 'gaussian' std: 0.5 }\n"
     << "    bias_filler { type: 'uniform' min: -0.5 max: 0.5 } } }\n"
     << "layer { name: 'loss' type: 'TestEuclideanLoss' bottom: 'p' bottom: 'y' top: 'loss' }\n";
  return os.str();
}

namespace {

class TestDataLayer : public Layer, public StatefulLayer {
 public:
  TestDataLayer(const LayerParameter& param, bool noisy) : Layer(param), noisy_(noisy) {}
  const char* type() const override { return noisy_ ? "TestNoisyData" : "TestConstData"; }
  int ExactNumBottomBlobs() const override { return 0; }
  int ExactNumTopBlobs() const override { return 2; }

  void Reshape(const std::vector<Blob*>&, const std::vector<Blob*>& top) override {
    top[0]->Reshape(layer_param_.dummy_data_param().shape(0));
    top[1]->Reshape(layer_param_.dummy_data_param().shape(1));
  }

  std::string SaveState() const override {
    std::ostringstream os;
    os << cursor_ << " " << engine_;
    return os.str();
  }
  void RestoreState(const std::string& state) override {
    std::istringstream is(state);
    is >> cursor_ >> engine_;
    if (is.fail()) Fail("bad saved state.");
  }

 protected:
  void Forward_cpu(const std::vector<Blob*>&, const std::vector<Blob*>& top) override {
    const int n = top[0]->shape(0), k = top[0]->shape(1), m = top[1]->shape(1);
    float* x = top[0]->mutable_cpu_data();
    float* y = top[1]->mutable_cpu_data();
    for (int i = 0; i < n; ++i) {
      const int record = cursor_;
      cursor_ = (cursor_ + 1) % kRecords;
      for (int j = 0; j < k; ++j) x[i * k + j] = static_cast<float>(RecordFeature(record, j));
      for (int j = 0; j < m; ++j) y[i * m + j] = static_cast<float>(RecordLabel(record, j));
    }
    if (!noisy_) return;
    std::uniform_real_distribution<float> own(-0.2f, 0.2f);
    for (int i = 0; i < n * k; ++i) x[i] += own(engine_);
    std::vector<float> shared(n * m);
    rng_uniform(n * m, -0.1f, 0.1f, shared.data());
    for (int i = 0; i < n * m; ++i) y[i] += shared[i];
  }
  void Backward_cpu(const std::vector<Blob*>&, const std::vector<bool>&,
                    const std::vector<Blob*>&) override {}

 private:
  bool noisy_;
  int cursor_ = 0;
  std::mt19937 engine_{12345};
};

class TestLinearLayer : public Layer {
 public:
  explicit TestLinearLayer(const LayerParameter& param) : Layer(param) {}
  const char* type() const override { return "TestLinear"; }
  int ExactNumBottomBlobs() const override { return 1; }
  int ExactNumTopBlobs() const override { return 1; }

  void LayerSetUp(const std::vector<Blob*>& bottom, const std::vector<Blob*>&) override {
    const auto& ip = layer_param_.inner_product_param();
    if (blobs_.empty()) {
      const int m = ip.num_output(), k = bottom[0]->shape(1);
      blobs_.push_back(std::make_shared<Blob>(std::vector<int>{m, k}));
      blobs_.push_back(std::make_shared<Blob>(std::vector<int>{m}));
      GetFiller(ip.weight_filler())->Fill(blobs_[0].get());
      GetFiller(ip.bias_filler())->Fill(blobs_[1].get());
    }
    param_propagate_down_.assign(blobs_.size(), true);
  }
  void Reshape(const std::vector<Blob*>& bottom, const std::vector<Blob*>& top) override {
    top[0]->Reshape(std::vector<int>{bottom[0]->shape(0), blobs_[0]->shape(0)});
  }

 protected:
  void Forward_cpu(const std::vector<Blob*>& bottom, const std::vector<Blob*>& top) override {
    const int n = bottom[0]->shape(0), k = bottom[0]->shape(1), m = blobs_[0]->shape(0);
    const float* x = bottom[0]->cpu_data();
    const float* w = blobs_[0]->cpu_data();
    const float* b = blobs_[1]->cpu_data();
    float* p = top[0]->mutable_cpu_data();
    for (int i = 0; i < n; ++i) {
      for (int o = 0; o < m; ++o) {
        float sum = b[o];
        for (int j = 0; j < k; ++j) sum += w[o * k + j] * x[i * k + j];
        p[i * m + o] = sum;
      }
    }
  }
  void Backward_cpu(const std::vector<Blob*>& top, const std::vector<bool>& propagate_down,
                    const std::vector<Blob*>& bottom) override {
    const int n = bottom[0]->shape(0), k = bottom[0]->shape(1), m = blobs_[0]->shape(0);
    const float* x = bottom[0]->cpu_data();
    const float* dp = top[0]->cpu_diff();
    if (param_propagate_down(0)) {
      float* dw = blobs_[0]->mutable_cpu_diff();
      for (int i = 0; i < n; ++i)
        for (int o = 0; o < m; ++o)
          for (int j = 0; j < k; ++j) dw[o * k + j] += dp[i * m + o] * x[i * k + j];
    }
    if (param_propagate_down(1)) {
      float* db = blobs_[1]->mutable_cpu_diff();
      for (int i = 0; i < n; ++i)
        for (int o = 0; o < m; ++o) db[o] += dp[i * m + o];
    }
    if (propagate_down[0]) {
      const float* w = blobs_[0]->cpu_data();
      float* dx = bottom[0]->mutable_cpu_diff();
      for (int i = 0; i < n; ++i)
        for (int j = 0; j < k; ++j) {
          float sum = 0;
          for (int o = 0; o < m; ++o) sum += dp[i * m + o] * w[o * k + j];
          dx[i * k + j] = sum;
        }
    }
  }
};

class TestEuclideanLossLayer : public LossLayer {
 public:
  explicit TestEuclideanLossLayer(const LayerParameter& param) : LossLayer(param) {}
  const char* type() const override { return "TestEuclideanLoss"; }
  void Reshape(const std::vector<Blob*>& bottom, const std::vector<Blob*>& top) override {
    LossLayer::Reshape(bottom, top);
    diff_.ReshapeLike(*bottom[0]);
  }

 protected:
  void Forward_cpu(const std::vector<Blob*>& bottom, const std::vector<Blob*>& top) override {
    const int count = bottom[0]->count();
    cpu_sub(count, bottom[0]->cpu_data(), bottom[1]->cpu_data(), diff_.mutable_cpu_data());
    const float dot = cpu_dot(count, diff_.cpu_data(), diff_.cpu_data());
    top[0]->mutable_cpu_data()[0] = dot / bottom[0]->shape(0) / 2.f;
  }
  void Backward_cpu(const std::vector<Blob*>& top, const std::vector<bool>& propagate_down,
                    const std::vector<Blob*>& bottom) override {
    for (int i = 0; i < 2; ++i) {
      if (!propagate_down[i]) continue;
      const float sign = i == 0 ? 1.f : -1.f;
      const float alpha = sign * top[0]->cpu_diff()[0] / bottom[i]->shape(0);
      cpu_scale(bottom[i]->count(), alpha, diff_.cpu_data(), bottom[i]->mutable_cpu_diff());
    }
  }

 private:
  Blob diff_;
};

struct ConstData : TestDataLayer {
  explicit ConstData(const LayerParameter& p) : TestDataLayer(p, false) {}
};
struct NoisyData : TestDataLayer {
  explicit NoisyData(const LayerParameter& p) : TestDataLayer(p, true) {}
};

CREMA_REGISTER_LAYER("TestConstData", ConstData);
CREMA_REGISTER_LAYER("TestNoisyData", NoisyData);
CREMA_REGISTER_LAYER("TestLinear", TestLinearLayer);
CREMA_REGISTER_LAYER("TestEuclideanLoss", TestEuclideanLossLayer);

}  // namespace
}  // namespace testing
}  // namespace crema
