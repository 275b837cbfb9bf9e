// Accuracy: top_k, ignore_label, axis, per-class accuracy, no backward.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "crema/layer_registry.hpp"
#include "support/test_util.hpp"

namespace crema {
namespace {

using testing::ParseText;

std::shared_ptr<Layer> MakeLayer(const std::string& text) {
  return LayerRegistry::Create(ParseText<LayerParameter>(text));
}

void SetData(Blob* blob, const std::vector<float>& values) {
  ASSERT_EQ(blob->count(), static_cast<int>(values.size()));
  for (size_t i = 0; i < values.size(); ++i) blob->mutable_cpu_data()[i] = values[i];
}

// Four samples, three classes:
//   0: label 1, best        -> top-1 hit
//   1: label 1, second      -> top-2 hit
//   2: label 0, tied second with class 1, below class 2 -> top-3 hit only
//   3: label 2, best        -> top-1 hit
class AccuracyLayerTest : public ::testing::Test {
 protected:
  AccuracyLayerTest() : scores_(std::vector<int>{4, 3}), labels_(std::vector<int>{4}) {
    SetData(&scores_, {0.1f, 0.7f, 0.2f,  0.5f, 0.3f, 0.2f,
                       0.2f, 0.2f, 0.6f,  0.3f, 0.3f, 0.4f});
    SetData(&labels_, {1, 1, 0, 2});
  }
  std::vector<float> Run(const std::string& param, int num_tops = 1) {
    auto layer = MakeLayer("name: 'acc' type: 'Accuracy' " + param);
    std::vector<Blob*> tops{&accuracy_, &per_class_};
    tops.resize(num_tops);
    layer->SetUp({&scores_, &labels_}, tops);
    layer->Forward({&scores_, &labels_}, tops);
    std::vector<float> result{accuracy_.cpu_data()[0]};
    if (num_tops > 1) {
      for (int i = 0; i < per_class_.count(); ++i) result.push_back(per_class_.cpu_data()[i]);
    }
    return result;
  }
  Blob scores_, labels_, accuracy_, per_class_;
};

TEST_F(AccuracyLayerTest, TopK) {
  EXPECT_FLOAT_EQ(0.5f, Run("")[0]);
  EXPECT_FLOAT_EQ(0.75f, Run("accuracy_param { top_k: 2 }")[0]);
  EXPECT_FLOAT_EQ(1.f, Run("accuracy_param { top_k: 3 }")[0]);
  EXPECT_EQ(0, accuracy_.num_axes());
}

TEST_F(AccuracyLayerTest, IgnoreLabel) {
  // Samples 2 and 3 remain: one hit of two.
  EXPECT_FLOAT_EQ(0.5f, Run("accuracy_param { ignore_label: 1 }")[0]);
  // Everything ignored: 0, not NaN.
  SetData(&labels_, {1, 1, 1, 1});
  EXPECT_FLOAT_EQ(0.f, Run("accuracy_param { ignore_label: 1 }")[0]);
}

TEST_F(AccuracyLayerTest, PerClassTop) {
  const std::vector<float> r = Run("", 2);
  ASSERT_EQ(4u, r.size());
  ASSERT_EQ(std::vector<int>{3}, per_class_.shape());
  EXPECT_FLOAT_EQ(0.5f, r[0]);
  EXPECT_FLOAT_EQ(0.f, r[1]);   // class 0: sample 2 missed
  EXPECT_FLOAT_EQ(0.5f, r[2]);  // class 1: one of two
  EXPECT_FLOAT_EQ(1.f, r[3]);   // class 2: sample 3 hit
  const std::vector<float> ignored = Run("accuracy_param { ignore_label: 1 top_k: 3 }", 2);
  EXPECT_FLOAT_EQ(1.f, ignored[0]);
  EXPECT_FLOAT_EQ(1.f, ignored[1]);
  EXPECT_FLOAT_EQ(0.f, ignored[2]);  // no class-1 samples counted
  EXPECT_FLOAT_EQ(1.f, ignored[3]);
}

TEST(AccuracyAxisTest, SpatialLabels) {
  // N=1, C=3, two positions; classes along axis 1.
  Blob scores(std::vector<int>{1, 3, 2}), labels(std::vector<int>{1, 2}), acc;
  SetData(&scores, {0.1f, 0.6f, 0.8f, 0.3f, 0.1f, 0.1f});
  SetData(&labels, {1, 1});
  auto layer = MakeLayer("type: 'Accuracy'");
  layer->SetUp({&scores, &labels}, {&acc});
  layer->Forward({&scores, &labels}, {&acc});
  EXPECT_FLOAT_EQ(0.5f, acc.cpu_data()[0]);
  // The same scores with the classes last: axis -1.
  Blob scores_last(std::vector<int>{1, 2, 3});
  SetData(&scores_last, {0.1f, 0.8f, 0.1f, 0.6f, 0.3f, 0.1f});
  auto last = MakeLayer("type: 'Accuracy' accuracy_param { axis: -1 }");
  last->SetUp({&scores_last, &labels}, {&acc});
  last->Forward({&scores_last, &labels}, {&acc});
  EXPECT_FLOAT_EQ(0.5f, acc.cpu_data()[0]);
}

TEST_F(AccuracyLayerTest, Errors) {
  auto too_big = MakeLayer("name: 'acc' type: 'Accuracy' accuracy_param { top_k: 4 }");
  EXPECT_THROW(too_big->SetUp({&scores_, &labels_}, {&accuracy_}), Error);
  Blob few_labels(std::vector<int>{3});
  auto layer = MakeLayer("name: 'acc' type: 'Accuracy'");
  EXPECT_THROW(layer->SetUp({&scores_, &few_labels}, {&accuracy_}), Error);
  SetData(&labels_, {1, 1, 3, 2});
  try {
    Run("");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'acc'"), std::string::npos) << e.what();
  }
}

TEST_F(AccuracyLayerTest, NoBackward) {
  auto layer = MakeLayer("name: 'acc' type: 'Accuracy'");
  layer->SetUp({&scores_, &labels_}, {&accuracy_});
  layer->Forward({&scores_, &labels_}, {&accuracy_});
  EXPECT_NO_THROW(layer->Backward({&accuracy_}, {false, false}, {&scores_, &labels_}));
  EXPECT_THROW(layer->Backward({&accuracy_}, {true, false}, {&scores_, &labels_}), Error);
}

}  // namespace
}  // namespace crema
