// The registry's engine choice: the engine a layer's parameters name (found
// by reflection in any *_param message), the engine override for layers
// that name none, and Layer::engine() with the log line written when a
// fast engine hands a layer to the reference. A probe type registered here
// stands in for a fast engine, so these run with or without oneDNN.
#include <glog/logging.h>
#include <gtest/gtest.h>

#include <mutex>
#include <string>
#include <vector>

#include "crema/layer_registry.hpp"
#include "support/test_util.hpp"

namespace crema {
namespace {

using testing::ParseText;

// Copies its bottom. As the "PROBE" engine it hands bottoms of more than
// 100 elements to the reference, as a fast engine does with shapes it
// cannot run.
class ProbeLayer : public NeuronLayer {
 public:
  explicit ProbeLayer(const LayerParameter& param) : NeuronLayer(param) {}
  const char* type() const override { return "EngineProbe"; }
  void Reshape(const std::vector<Blob*>& bottom, const std::vector<Blob*>& top) override {
    NeuronLayer::Reshape(bottom, top);
    ReportFallback(bottom[0]->count() > 100, "the probe runs 100 elements at most.");
  }

 protected:
  void Forward_cpu(const std::vector<Blob*>& bottom, const std::vector<Blob*>& top) override {
    top[0]->CopyFrom(*bottom[0]);
  }
  void Backward_cpu(const std::vector<Blob*>&, const std::vector<bool>&,
                    const std::vector<Blob*>&) override {}
};

// The reference engine of the probe type never falls back.
class ProbeReferenceLayer : public ProbeLayer {
 public:
  explicit ProbeReferenceLayer(const LayerParameter& param) : ProbeLayer(param) {}
  void Reshape(const std::vector<Blob*>& bottom, const std::vector<Blob*>& top) override {
    NeuronLayer::Reshape(bottom, top);
  }
};

// PROBE ranks below the reference: only a request or the override picks it.
CREMA_REGISTER_LAYER_ENGINE("EngineProbe", "PROBE", -1, ProbeLayer);
CREMA_REGISTER_LAYER("EngineProbe", ProbeReferenceLayer);

// Collects what glog logs (INFO included) while it lives.
class LogCapture : public google::LogSink {
 public:
  LogCapture() : min_level_(FLAGS_minloglevel) {
    FLAGS_minloglevel = 0;
    google::AddLogSink(this);
  }
  ~LogCapture() override {
    google::RemoveLogSink(this);
    FLAGS_minloglevel = min_level_;
  }
  void send(google::LogSeverity, const char*, const char*, int, const google::LogMessageTime&,
            const char* message, size_t length) override {
    std::lock_guard<std::mutex> lock(mutex_);
    lines_.emplace_back(message, length);
  }
  // The lines that contain `text`.
  std::vector<std::string> Lines(const std::string& text) {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<std::string> found;
    for (const auto& line : lines_) {
      if (line.find(text) != std::string::npos) found.push_back(line);
    }
    return found;
  }

 private:
  int min_level_;
  std::mutex mutex_;
  std::vector<std::string> lines_;
};

LayerParameter Probe(const std::string& extra = "") {
  return ParseText<LayerParameter>("name: 'probe' type: 'EngineProbe' " + extra);
}

// Sets up `layer` on a bottom of `count` elements and runs it forward.
void RunOn(Layer* layer, int count) {
  Blob bottom(std::vector<int>{count}), top;
  layer->SetUp({&bottom}, {&top});
  layer->Forward({&bottom}, {&top});
}

TEST(LayerEngines, RequestedEngineIsFoundInAnyParamMessage) {
  EXPECT_EQ(LayerRegistry::RequestedEngine(Probe()), "");
  EXPECT_EQ(LayerRegistry::RequestedEngine(Probe("relu_param { engine: DEFAULT }")), "");
  EXPECT_EQ(LayerRegistry::RequestedEngine(Probe("relu_param { negative_slope: 1 }")), "");
  const char* params[] = {"convolution_param", "pooling_param", "relu_param",
                          "sigmoid_param",     "tanh_param",    "softmax_param",
                          "lrn_param",         "inner_product_param",
                          "spp_param",         "batch_norm_param"};
  for (const char* param : params) {
    EXPECT_EQ(LayerRegistry::RequestedEngine(
                  Probe(std::string(param) + " { engine: CAFFE }")),
              "CAFFE")
        << param;
  }
  EXPECT_EQ(LayerRegistry::RequestedEngine(
                Probe("relu_param { engine: CAFFE } softmax_param { engine: CAFFE }")),
            "CAFFE");
}

TEST(LayerEngines, TwoDifferentRequestsAreAnError) {
  try {
    LayerRegistry::RequestedEngine(
        Probe("relu_param { engine: CAFFE } pooling_param { engine: CUDNN }"));
    FAIL() << "no error";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("'probe'"), std::string::npos) << what;
    EXPECT_NE(what.find("relu_param"), std::string::npos) << what;
    EXPECT_NE(what.find("pooling_param"), std::string::npos) << what;
  }
}

TEST(LayerEngines, EngineNamesTheEngineBuilt) {
  EXPECT_EQ(LayerRegistry::Create(Probe())->engine(), "CAFFE");  // the higher priority
  EXPECT_EQ(LayerRegistry::Create(Probe("relu_param { engine: CAFFE }"))->engine(), "CAFFE");
  EXPECT_EQ(LayerRegistry::Engines("EngineProbe"),
            (std::vector<std::string>{"CAFFE", "PROBE"}));
}

TEST(LayerEngines, OverrideAppliesWhereTheTypeHasTheEngine) {
  const LayerParameter relu = ParseText<LayerParameter>("name: 'r' type: 'ReLU'");
  const std::string relu_default = LayerRegistry::Create(relu)->engine();
  {
    ScopedEngineOverride probe("PROBE");
    EXPECT_EQ(LayerRegistry::EngineOverride(), "PROBE");
    EXPECT_EQ(LayerRegistry::Create(Probe())->engine(), "PROBE");
    // A request in the parameters wins over the override.
    EXPECT_EQ(LayerRegistry::Create(Probe("relu_param { engine: CAFFE }"))->engine(), "CAFFE");
    // ReLU has no PROBE engine: it keeps its default.
    EXPECT_EQ(LayerRegistry::Create(relu)->engine(), relu_default);
    {
      ScopedEngineOverride reference("CAFFE");
      EXPECT_EQ(LayerRegistry::Create(Probe())->engine(), "CAFFE");
      EXPECT_EQ(LayerRegistry::Create(relu)->engine(), "CAFFE");
    }
    EXPECT_EQ(LayerRegistry::EngineOverride(), "PROBE");
  }
  EXPECT_EQ(LayerRegistry::EngineOverride(), "");
  EXPECT_EQ(LayerRegistry::Create(Probe())->engine(), "CAFFE");
}

TEST(LayerEngines, UnknownOverrideIsAnErrorListingTheEngines) {
  try {
    LayerRegistry::SetEngineOverride("CUDNN");
    FAIL() << "no error";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("'CUDNN'"), std::string::npos) << what;
    EXPECT_NE(what.find("PROBE"), std::string::npos) << what;
  }
  EXPECT_EQ(LayerRegistry::EngineOverride(), "");
}

TEST(LayerEngines, FallbackIsReportedByEngineAndLoggedOncePerLayer) {
  ScopedEngineOverride probe("PROBE");
  LogCapture log;
  auto small = LayerRegistry::Create(Probe());
  RunOn(small.get(), 10);
  EXPECT_EQ(small->engine(), "PROBE");
  auto large = LayerRegistry::Create(Probe());
  RunOn(large.get(), 500);
  EXPECT_EQ(large->engine(), "CAFFE");
  RunOn(large.get(), 600);  // falls back again: not logged again
  const std::vector<std::string> lines = log.Lines("(EngineProbe)");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("layer 'probe'"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("instead of PROBE"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("100 elements at most"), std::string::npos) << lines[0];
  RunOn(large.get(), 20);  // shapes it runs again
  EXPECT_EQ(large->engine(), "PROBE");
}

}  // namespace
}  // namespace crema
