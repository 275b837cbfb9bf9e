// Concat and Slice: shapes, layouts, legacy fields, gradients, errors.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "crema/layer_registry.hpp"
#include "support/gradient_checker.hpp"
#include "support/test_util.hpp"

namespace crema {
namespace {

using testing::FillGaussian;
using testing::GradientChecker;
using testing::ParseText;

std::shared_ptr<Layer> MakeLayer(const std::string& text) {
  return LayerRegistry::Create(ParseText<LayerParameter>(text));
}

using Shape = std::vector<int>;

// Fills a blob with base + its element index, to recognize where values land.
void FillIndex(Blob* blob, float base) {
  for (int i = 0; i < blob->count(); ++i) blob->mutable_cpu_data()[i] = base + i;
}

// ---- Concat ----

TEST(ConcatLayerTest, ShapesAlongEachAxis) {
  Blob a(Shape{2, 3, 4}), b(Shape{5, 3, 4}), c(Shape{2, 1, 4}), top;
  auto axis0 = MakeLayer("type: 'Concat' concat_param { axis: 0 }");
  axis0->SetUp({&a, &b}, {&top});
  EXPECT_EQ((Shape{7, 3, 4}), top.shape());
  auto axis1 = MakeLayer("type: 'Concat'");
  axis1->SetUp({&a, &c, &a}, {&top});
  EXPECT_EQ((Shape{2, 7, 4}), top.shape());
  auto negative = MakeLayer("type: 'Concat' concat_param { axis: -2 }");
  negative->SetUp({&a, &c}, {&top});
  EXPECT_EQ((Shape{2, 4, 4}), top.shape());
  auto legacy = MakeLayer("type: 'Concat' concat_param { concat_dim: 0 }");
  legacy->SetUp({&a, &b}, {&top});
  EXPECT_EQ((Shape{7, 3, 4}), top.shape());
}

TEST(ConcatLayerTest, LayoutAlongChannels) {
  // a: 2 x 1 x 2, b: 2 x 2 x 2 -> top 2 x 3 x 2, per sample a's rows then b's.
  Blob a(Shape{2, 1, 2}), b(Shape{2, 2, 2}), top;
  FillIndex(&a, 0.f);
  FillIndex(&b, 100.f);
  auto layer = MakeLayer("type: 'Concat'");
  layer->SetUp({&a, &b}, {&top});
  layer->Forward({&a, &b}, {&top});
  const float expected[] = {0, 1, 100, 101, 102, 103, 2, 3, 104, 105, 106, 107};
  ASSERT_EQ(12, top.count());
  for (int i = 0; i < 12; ++i) EXPECT_EQ(expected[i], top.cpu_data()[i]) << i;
  // Backward hands each bottom its own part of the top diff.
  for (int i = 0; i < 12; ++i) top.mutable_cpu_diff()[i] = expected[i];
  layer->Backward({&top}, {true, true}, {&a, &b});
  for (int i = 0; i < a.count(); ++i) EXPECT_EQ(a.cpu_data()[i], a.cpu_diff()[i]);
  for (int i = 0; i < b.count(); ++i) EXPECT_EQ(b.cpu_data()[i], b.cpu_diff()[i]);
}

TEST(ConcatLayerTest, LayoutAlongNum) {
  Blob a(Shape{1, 2}), b(Shape{2, 2}), top;
  FillIndex(&a, 0.f);
  FillIndex(&b, 10.f);
  auto layer = MakeLayer("type: 'Concat' concat_param { axis: 0 }");
  layer->SetUp({&a, &b}, {&top});
  layer->Forward({&a, &b}, {&top});
  const float expected[] = {0, 1, 10, 11, 12, 13};
  for (int i = 0; i < 6; ++i) EXPECT_EQ(expected[i], top.cpu_data()[i]);
}

TEST(ConcatLayerTest, OneBottomSharesIt) {
  Blob a(Shape{2, 3}), top;
  FillIndex(&a, 0.f);
  auto layer = MakeLayer("type: 'Concat'");
  layer->SetUp({&a}, {&top});
  layer->Forward({&a}, {&top});
  EXPECT_EQ(a.shape(), top.shape());
  EXPECT_EQ(a.cpu_data(), top.cpu_data());
  EXPECT_EQ(a.cpu_diff(), top.cpu_diff());
}

TEST(ConcatLayerTest, Gradient) {
  const std::vector<std::pair<std::string, std::vector<Shape>>> cases = {
      {"axis: 0", {{1, 2, 3}, {2, 2, 3}}},
      {"axis: 1", {{2, 1, 3}, {2, 2, 3}, {2, 1, 3}}},
      {"axis: -1", {{2, 2, 1}, {2, 2, 3}}},
      {"concat_dim: 2", {{2, 2, 2}, {2, 2, 1}}},
  };
  for (const auto& [param, shapes] : cases) {
    std::vector<std::unique_ptr<Blob>> owned;
    std::vector<Blob*> bottom;
    for (const Shape& s : shapes) {
      owned.push_back(std::make_unique<Blob>(s));
      FillGaussian(owned.back().get());
      bottom.push_back(owned.back().get());
    }
    Blob top;
    auto layer = MakeLayer("type: 'Concat' concat_param { " + param + " }");
    GradientChecker checker(1e-2f, 1e-2f);
    checker.CheckGradientExhaustive(layer.get(), bottom, {&top});
  }
}

TEST(ConcatLayerTest, ShapeMismatchNamesLayerAndShapes) {
  Blob a(Shape{2, 3, 4}), b(Shape{2, 3, 5}), top;
  auto layer = MakeLayer("name: 'cat' type: 'Concat'");
  try {
    layer->SetUp({&a, &b}, {&top});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("'cat'"), std::string::npos) << what;
    EXPECT_NE(what.find(a.shape_string()), std::string::npos) << what;
    EXPECT_NE(what.find(b.shape_string()), std::string::npos) << what;
  }
  Blob c(Shape{2, 3});
  EXPECT_THROW(layer->SetUp({&a, &c}, {&top}), Error);  // different axis counts
}

TEST(ConcatLayerTest, AxisErrors) {
  Blob a(Shape{2, 3}), top;
  auto both = MakeLayer("name: 'cat' type: 'Concat' concat_param { axis: 1 concat_dim: 1 }");
  EXPECT_THROW(both->SetUp({&a, &a}, {&top}), Error);
  auto out_of_range = MakeLayer("name: 'cat' type: 'Concat' concat_param { axis: 2 }");
  EXPECT_THROW(out_of_range->SetUp({&a, &a}, {&top}), Error);
  auto legacy = MakeLayer("name: 'cat' type: 'Concat' concat_param { concat_dim: 2 }");
  EXPECT_THROW(legacy->SetUp({&a, &a}, {&top}), Error);
}

// ---- Slice ----

TEST(SliceLayerTest, EqualParts) {
  Blob bottom(Shape{4, 6, 2}), a, b, c;
  auto layer = MakeLayer("type: 'Slice'");
  layer->SetUp({&bottom}, {&a, &b, &c});
  for (Blob* t : {&a, &b, &c}) EXPECT_EQ((Shape{4, 2, 2}), t->shape());
  auto num = MakeLayer("type: 'Slice' slice_param { axis: 0 }");
  num->SetUp({&bottom}, {&a, &b});
  EXPECT_EQ((Shape{2, 6, 2}), a.shape());
  auto legacy = MakeLayer("type: 'Slice' slice_param { slice_dim: 2 }");
  legacy->SetUp({&bottom}, {&a, &b});
  EXPECT_EQ((Shape{4, 6, 1}), b.shape());
}

TEST(SliceLayerTest, SlicePoints) {
  Blob bottom(Shape{4, 6, 2}), a, b, c;
  auto layer = MakeLayer("type: 'Slice' slice_param { slice_point: 1 slice_point: 4 }");
  layer->SetUp({&bottom}, {&a, &b, &c});
  EXPECT_EQ((Shape{4, 1, 2}), a.shape());
  EXPECT_EQ((Shape{4, 3, 2}), b.shape());
  EXPECT_EQ((Shape{4, 2, 2}), c.shape());
  auto last = MakeLayer("type: 'Slice' slice_param { axis: -1 slice_point: 1 }");
  last->SetUp({&bottom}, {&a, &b});
  EXPECT_EQ((Shape{4, 6, 1}), a.shape());
  EXPECT_EQ((Shape{4, 6, 1}), b.shape());
}

TEST(SliceLayerTest, Layout) {
  // bottom 2 x 3 x 2 sliced on axis 1 at 1: a gets row 0, b rows 1-2.
  Blob bottom(Shape{2, 3, 2}), a, b;
  FillIndex(&bottom, 0.f);
  auto layer = MakeLayer("type: 'Slice' slice_param { slice_point: 1 }");
  layer->SetUp({&bottom}, {&a, &b});
  layer->Forward({&bottom}, {&a, &b});
  const float expected_a[] = {0, 1, 6, 7};
  const float expected_b[] = {2, 3, 4, 5, 8, 9, 10, 11};
  for (int i = 0; i < 4; ++i) EXPECT_EQ(expected_a[i], a.cpu_data()[i]);
  for (int i = 0; i < 8; ++i) EXPECT_EQ(expected_b[i], b.cpu_data()[i]);
  // Backward puts the diffs back where the values came from.
  for (int i = 0; i < 4; ++i) a.mutable_cpu_diff()[i] = expected_a[i];
  for (int i = 0; i < 8; ++i) b.mutable_cpu_diff()[i] = expected_b[i];
  layer->Backward({&a, &b}, {true}, {&bottom});
  for (int i = 0; i < bottom.count(); ++i) EXPECT_EQ(float(i), bottom.cpu_diff()[i]);
}

TEST(SliceLayerTest, Gradient) {
  const std::vector<std::pair<std::string, int>> cases = {
      {"axis: 1", 3}, {"axis: 0 slice_point: 1", 2}, {"axis: -1 slice_point: 1 slice_point: 3", 3},
      {"slice_dim: 1 slice_point: 2", 2}, {"axis: 2", 1}};
  for (const auto& [param, num_tops] : cases) {
    Blob bottom(Shape{2, 3, 4});
    FillGaussian(&bottom);
    std::vector<std::unique_ptr<Blob>> owned;
    std::vector<Blob*> tops;
    for (int i = 0; i < num_tops; ++i) {
      owned.push_back(std::make_unique<Blob>());
      tops.push_back(owned.back().get());
    }
    auto layer = MakeLayer("type: 'Slice' slice_param { " + param + " }");
    GradientChecker checker(1e-2f, 1e-2f);
    checker.CheckGradientExhaustive(layer.get(), {&bottom}, tops);
  }
}

TEST(SliceLayerTest, Errors) {
  Blob bottom(Shape{2, 5}), a, b, c;
  auto uneven = MakeLayer("name: 's' type: 'Slice'");
  EXPECT_THROW(uneven->SetUp({&bottom}, {&a, &b}), Error);
  auto count = MakeLayer("name: 's' type: 'Slice' slice_param { slice_point: 2 }");
  EXPECT_THROW(count->SetUp({&bottom}, {&a, &b, &c}), Error);
  auto order = MakeLayer("name: 's' type: 'Slice' slice_param { slice_point: 3 slice_point: 2 }");
  EXPECT_THROW(order->SetUp({&bottom}, {&a, &b, &c}), Error);
  auto past = MakeLayer("name: 's' type: 'Slice' slice_param { slice_point: 5 }");
  EXPECT_THROW(past->SetUp({&bottom}, {&a, &b}), Error);
  auto both = MakeLayer("name: 's' type: 'Slice' slice_param { axis: 1 slice_dim: 1 }");
  EXPECT_THROW(both->SetUp({&bottom}, {&a}), Error);
}

}  // namespace
}  // namespace crema
