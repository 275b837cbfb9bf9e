// Caffe's own nets, before and after its format changes: the V1 files of
// February 2015 (legacy/v1-2015-02-05), upgraded here, must describe the same
// layers as the current files at the same relative path; the V0 files of
// February 2014 must upgrade into nets of the expected current layer types.
#include <gtest/gtest.h>
#include <google/protobuf/text_format.h>
#include <google/protobuf/util/message_differencer.h>

#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "crema/common.hpp"
#include "crema/io/upgrade_proto.hpp"
#include "io/compat_corpus.hpp"

namespace crema {
namespace {

namespace fs = std::filesystem;
using google::protobuf::util::MessageDifferencer;

std::string CaffePrototxtDir() {
  const std::string dir = testing::CompatCorpusDir();
  return dir.empty() ? dir : dir + "/caffe-prototxt";
}

#define REQUIRE_CORPUS(dir)                  \
  const std::string dir = CaffePrototxtDir(); \
  if (dir.empty()) GTEST_SKIP() << testing::kNoCompatCorpus

NetParameter ReadUpgraded(const std::string& path) {
  NetParameter net;
  ReadNetParamsFromTextFile(path, &net);
  return net;
}

// What a layer is apart from its wiring and learning settings: its type and
// every per-layer parameter (the *_param messages, include/exclude rules,
// loss weights, propagate_down, phase).
LayerParameter Settings(const LayerParameter& layer) {
  LayerParameter settings(layer);
  settings.clear_name();
  settings.clear_bottom();
  settings.clear_top();
  settings.clear_param();
  settings.clear_blobs();
  return settings;
}

// Differences between two nets Caffe's own history explains; each is the
// end of a compared file's path, a layer ("*": any) and what may differ:
// "order" (of the layers), "top", or "settings" (type-specific parameters
// and rules).
struct Allowed {
  std::string file, layer, what;
};

// Between the V1 files and the current ones, BVLC edited some nets by hand
// after the automated upgrade (commit e6c80dac): these edits are not upgrade
// rules, so the comparison skips exactly them.
const std::vector<Allowed>& AllowedDifferences() {
  static const std::vector<Allowed> allowed = {
      // The weight filler of fc1 went from gaussian to xavier.
      {"examples/hdf5_classification/train_val.prototxt", "fc1", "settings"},
      // The V1 file misnamed this top "loss2/loss1"; BVLC fixed it.
      {"models/bvlc_googlenet/train_val.prototxt", "loss2/loss", "top"},
      // The accuracy layer moved before the loss, became TEST-only, and the
      // loss layer got an explicit top (SoftmaxWithLoss adds one anyway).
      {"models/finetune_flickr_style/train_val.prototxt", "*", "order"},
      {"models/finetune_flickr_style/train_val.prototxt", "accuracy", "settings"},
      {"models/finetune_flickr_style/train_val.prototxt", "loss", "top"},
  };
  return allowed;
}

bool IsAllowed(const std::string& file, const std::string& layer, const std::string& what) {
  for (const Allowed& a : AllowedDifferences()) {
    if (file.size() >= a.file.size() &&
        file.compare(file.size() - a.file.size(), a.file.size(), a.file) == 0 &&
        (a.layer == "*" || a.layer == layer) && a.what == what) {
      return true;
    }
  }
  return false;
}

// lr_mult / decay_mult of param spec i, with ParamSpec's defaults when the
// layer lists fewer specs.
std::pair<float, float> Multipliers(const LayerParameter& layer, int i) {
  if (i < layer.param_size()) return {layer.param(i).lr_mult(), layer.param(i).decay_mult()};
  return {1.f, 1.f};
}

std::string Text(const google::protobuf::Message& m) {
  std::string s;
  google::protobuf::TextFormat::PrintToString(m, &s);
  return s;
}

// Layers keyed by name and, for names used more than once (one data layer
// per phase), by occurrence: "mnist", "mnist#2".
std::map<std::string, const LayerParameter*> ByName(const NetParameter& net,
                                                    std::vector<std::string>* order) {
  std::map<std::string, const LayerParameter*> layers;
  std::map<std::string, int> seen;
  for (const LayerParameter& layer : net.layer()) {
    const int n = ++seen[layer.name()];
    const std::string key = n == 1 ? layer.name() : StrCat(layer.name(), "#", n);
    layers[key] = &layer;
    order->push_back(key);
  }
  return layers;
}

void ExpectSameSettings(const std::string& file, const std::string& key,
                        const LayerParameter& a, const LayerParameter& b) {
  if (IsAllowed(file, key, "settings")) return;
  LayerParameter sa = Settings(a), sb = Settings(b);
  for (LayerParameter* s : {&sa, &sb}) {
    // The xavier and msra fillers ignore std; BVLC deleted such leftovers.
    for (FillerParameter* f : {s->mutable_convolution_param()->mutable_weight_filler(),
                               s->mutable_inner_product_param()->mutable_weight_filler()}) {
      if (f->type() == "xavier" || f->type() == "msra") f->clear_std();
    }
  }
  // Unset fields count as their defaults: "bias_term: true" written out in
  // one file and left implicit in the other is the same layer.
  MessageDifferencer differ;
  differ.set_message_field_comparison(MessageDifferencer::EQUIVALENT);
  differ.set_float_comparison(MessageDifferencer::APPROXIMATE);
  std::string report;
  differ.ReportDifferencesToString(&report);
  EXPECT_TRUE(differ.Compare(sa, sb)) << "upgraded:\n" << Text(sa) << "current:\n"
                                      << Text(sb) << "differences:\n" << report;
}

void ExpectSameLayers(const std::string& file, NetParameter upgraded,
                      const NetParameter& current) {
  // Caffe names the Input layer it makes from input fields "input"; BVLC's
  // hand-written Input layers are called "data".
  if (upgraded.layer_size() > 0 && current.layer_size() > 0 &&
      upgraded.layer(0).type() == "Input" && current.layer(0).type() == "Input") {
    EXPECT_EQ(upgraded.layer(0).name(), "input");
    upgraded.mutable_layer(0)->set_name(current.layer(0).name());
  }
  std::vector<std::string> upgraded_order, current_order;
  const auto upgraded_layers = ByName(upgraded, &upgraded_order);
  const auto current_layers = ByName(current, &current_order);
  if (!IsAllowed(file, "*", "order")) {
    EXPECT_EQ(upgraded_order, current_order);
  }
  for (const auto& [key, b] : current_layers) {
    SCOPED_TRACE("layer " + key);
    const auto found = upgraded_layers.find(key);
    if (found == upgraded_layers.end()) {
      ADD_FAILURE() << "the upgraded net has no layer " << key;
      continue;
    }
    const LayerParameter& a = *found->second;
    EXPECT_EQ(a.type(), b->type());
    EXPECT_EQ(std::vector<std::string>(a.bottom().begin(), a.bottom().end()),
              std::vector<std::string>(b->bottom().begin(), b->bottom().end()));
    if (!IsAllowed(file, key, "top")) {
      EXPECT_EQ(std::vector<std::string>(a.top().begin(), a.top().end()),
                std::vector<std::string>(b->top().begin(), b->top().end()));
    }
  const int specs = std::max(a.param_size(), b->param_size());
    for (int p = 0; p < specs; ++p) {
      EXPECT_EQ(Multipliers(a, p), Multipliers(*b, p)) << "param spec " << p;
    }
    ExpectSameSettings(file, key, a, *b);
  }
  EXPECT_EQ(upgraded.layer_size(), current.layer_size());
}

TEST(UpgradeCorpus, V1NetsMatchTheirCurrentVersions) {
  REQUIRE_CORPUS(dir);
  const fs::path legacy = fs::path(dir) / "legacy" / "v1-2015-02-05";
  int compared = 0;
  for (const auto& entry : fs::recursive_directory_iterator(legacy)) {
    const fs::path& path = entry.path();
    if (!entry.is_regular_file() || path.extension() != ".prototxt" ||
        path.filename().string().find("solver") != std::string::npos) {
      continue;
    }
    const fs::path current = fs::path(dir) / fs::relative(path, legacy);
    if (!fs::exists(current)) continue;
    SCOPED_TRACE(current.string());
    NetParameter v1;
    ReadProtoFromTextFile(path.string(), &v1);
    ASSERT_GT(v1.layers_size(), 0) << path << " is not a V1 net";
    ASSERT_TRUE(UpgradeNetAsNeeded(path.string(), &v1));
    ExpectSameLayers(current.string(), v1, ReadUpgraded(current.string()));
    ++compared;
  }
  // 21 of the 23 V1 nets have a current file at the same path
  // (imagenet/bvlc_caffenet_full_conv moved to net_surgery/, and
  // hdf5_classification/train_val2 was replaced): MANIFEST.txt.
  EXPECT_EQ(compared, 21);
}

// The V0 deploy net of February 2014 is CaffeNet: upgraded, it matches the
// current deploy file but for what that file leaves out.
TEST(UpgradeCorpus, V0CaffeNetMatchesTheCurrentDeployNet) {
  REQUIRE_CORPUS(dir);
  NetParameter v0;
  ReadProtoFromTextFile(dir + "/legacy/v0-2014-02-25/models/imagenet.prototxt", &v0);
  ASSERT_TRUE(NetNeedsV0ToV1Upgrade(v0));
  ASSERT_TRUE(UpgradeNetAsNeeded("imagenet.prototxt", &v0));
  NetParameter current = ReadUpgraded(dir + "/models/bvlc_reference_caffenet/deploy.prototxt");
  // The deploy file drops fillers and learning rates, which a deploy net
  // does not use; compare with them removed from the upgraded net.
  for (LayerParameter& layer : *v0.mutable_layer()) {
    layer.clear_param();
    layer.mutable_convolution_param()->clear_weight_filler();
    layer.mutable_convolution_param()->clear_bias_filler();
    layer.mutable_inner_product_param()->clear_weight_filler();
    layer.mutable_inner_product_param()->clear_bias_filler();
    if (layer.convolution_param().ByteSizeLong() == 0) layer.clear_convolution_param();
    if (layer.inner_product_param().ByteSizeLong() == 0) layer.clear_inner_product_param();
  }
  ExpectSameLayers("models/bvlc_reference_caffenet/deploy.prototxt", v0, current);
}

// Every V0 net upgrades into current layer types, one layer per V0 layer.
TEST(UpgradeCorpus, V0NetsGetCurrentLayerTypes) {
  REQUIRE_CORPUS(dir);
  // Written out here, independently of the upgrader's table.
  const std::map<std::string, std::string> expected_type = {
      {"accuracy", "Accuracy"}, {"conv", "Convolution"},   {"data", "Data"},
      {"dropout", "Dropout"},   {"innerproduct", "InnerProduct"}, {"lrn", "LRN"},
      {"pool", "Pooling"},      {"relu", "ReLU"},           {"softmax", "Softmax"},
      {"softmax_loss", "SoftmaxWithLoss"}};
  int nets = 0;
  for (const auto& entry : fs::recursive_directory_iterator(dir + "/legacy/v0-2014-02-25")) {
    const std::string path = entry.path().string();
    if (entry.path().extension() != ".prototxt" ||
        entry.path().filename().string().find("solver") != std::string::npos) {
      continue;
    }
    SCOPED_TRACE(path);
    NetParameter v0;
    ReadProtoFromTextFile(path, &v0);
    ASSERT_TRUE(NetNeedsV0ToV1Upgrade(v0));
    std::vector<std::string> types;
    for (const V1LayerParameter& layer : v0.layers()) {
      ASSERT_TRUE(expected_type.count(layer.layer().type())) << layer.layer().type();
      types.push_back(expected_type.at(layer.layer().type()));
    }
    if (v0.input_size() > 0) types.insert(types.begin(), "Input");
    const NetParameter net = ReadUpgraded(path);
    std::vector<std::string> got;
    for (const LayerParameter& layer : net.layer()) got.push_back(layer.type());
    EXPECT_EQ(got, types);
    EXPECT_FALSE(NetNeedsUpgrade(net));
    ++nets;
  }
  EXPECT_EQ(nets, 5);
}

}  // namespace
}  // namespace crema
