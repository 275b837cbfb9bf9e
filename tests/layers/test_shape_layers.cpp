// Input, Split, Flatten, Reshape and Silence: shapes, sharing, gradients.
#include <gtest/gtest.h>

#include <memory>
#include <string>
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

// ---- Input ----

TEST(InputLayerTest, OneShapeForAllTops) {
  Blob a, b;
  auto layer = MakeLayer("type: 'Input' input_param { shape { dim: 2 dim: 3 dim: 4 } }");
  layer->SetUp({}, {&a, &b});
  EXPECT_EQ((Shape{2, 3, 4}), a.shape());
  EXPECT_EQ((Shape{2, 3, 4}), b.shape());
}

TEST(InputLayerTest, OneShapePerTop) {
  Blob a, b;
  auto layer = MakeLayer(
      "type: 'Input' input_param { shape { dim: 10 dim: 3 dim: 227 dim: 227 } "
      "shape { dim: 10 } }");
  layer->SetUp({}, {&a, &b});
  EXPECT_EQ((Shape{10, 3, 227, 227}), a.shape());
  EXPECT_EQ((Shape{10}), b.shape());
  // Forward leaves the tops alone (they are fed from outside).
  a.mutable_cpu_data()[0] = 42.f;
  layer->Forward({}, {&a, &b});
  EXPECT_EQ(42.f, a.cpu_data()[0]);
  EXPECT_EQ((Shape{10, 3, 227, 227}), a.shape());
}

TEST(InputLayerTest, WrongNumberOfShapes) {
  Blob a, b, c;
  auto layer = MakeLayer(
      "name: 'data' type: 'Input' input_param { shape { dim: 1 } shape { dim: 2 } }");
  EXPECT_THROW(layer->SetUp({}, {&a, &b, &c}), Error);
  auto no_tops = MakeLayer("name: 'data' type: 'Input'");
  EXPECT_THROW(no_tops->SetUp({}, {}), Error);
}

// ---- Split ----

TEST(SplitLayerTest, TopsShareDataAndBackwardSums) {
  Blob bottom(Shape{2, 3, 2}), a, b, c;
  FillGaussian(&bottom);
  auto layer = MakeLayer("type: 'Split'");
  layer->SetUp({&bottom}, {&a, &b, &c});
  layer->Forward({&bottom}, {&a, &b, &c});
  for (Blob* t : {&a, &b, &c}) {
    EXPECT_EQ(bottom.shape(), t->shape());
    EXPECT_EQ(bottom.cpu_data(), t->cpu_data());
  }
  for (int i = 0; i < bottom.count(); ++i) {
    a.mutable_cpu_diff()[i] = 1.f;
    b.mutable_cpu_diff()[i] = 10.f * i;
    c.mutable_cpu_diff()[i] = 100.f;
  }
  layer->Backward({&a, &b, &c}, {true}, {&bottom});
  for (int i = 0; i < bottom.count(); ++i) {
    EXPECT_FLOAT_EQ(101.f + 10.f * i, bottom.cpu_diff()[i]);
  }
}

TEST(SplitLayerTest, Gradient) {
  Blob bottom(Shape{2, 3, 2}), a, b;
  FillGaussian(&bottom);
  auto layer = MakeLayer("type: 'Split'");
  GradientChecker checker(1e-2f, 1e-2f);
  checker.CheckGradientEltwise(layer.get(), {&bottom}, {&a, &b});
}

TEST(SplitLayerTest, NotInPlace) {
  Blob bottom(Shape{2}), a;
  auto layer = MakeLayer("name: 's' type: 'Split'");
  EXPECT_THROW(layer->SetUp({&bottom}, {&a, &bottom}), Error);
}

// ---- Flatten ----

Shape FlattenShape(const std::string& param, const Shape& in) {
  Blob bottom(in), top;
  auto layer = MakeLayer("type: 'Flatten' " + param);
  layer->SetUp({&bottom}, {&top});
  return top.shape();
}

TEST(FlattenLayerTest, Shapes) {
  const Shape in{2, 3, 6, 5};
  EXPECT_EQ((Shape{2, 90}), FlattenShape("", in));
  EXPECT_EQ((Shape{2, 3, 30}), FlattenShape("flatten_param { axis: 2 }", in));
  EXPECT_EQ((Shape{2, 18, 5}), FlattenShape("flatten_param { end_axis: -2 }", in));
  EXPECT_EQ((Shape{6, 6, 5}), FlattenShape("flatten_param { axis: 0 end_axis: 1 }", in));
  EXPECT_EQ((Shape{2, 3, 30}), FlattenShape("flatten_param { axis: -2 }", in));
  EXPECT_EQ((Shape{2, 3, 6, 5}), FlattenShape("flatten_param { axis: 3 }", in));
  EXPECT_EQ((Shape{180}), FlattenShape("flatten_param { axis: 0 }", in));
}

TEST(FlattenLayerTest, ForwardSharesData) {
  Blob bottom(Shape{2, 3, 2, 2}), top;
  FillGaussian(&bottom);
  auto layer = MakeLayer("type: 'Flatten'");
  layer->SetUp({&bottom}, {&top});
  layer->Forward({&bottom}, {&top});
  for (int i = 0; i < bottom.count(); ++i) EXPECT_EQ(bottom.cpu_data()[i], top.cpu_data()[i]);
  EXPECT_EQ(bottom.cpu_data(), top.cpu_data());
}

TEST(FlattenLayerTest, Gradient) {
  Blob bottom(Shape{2, 3, 2, 2}), top;
  FillGaussian(&bottom);
  auto layer = MakeLayer("type: 'Flatten' flatten_param { axis: 2 }");
  GradientChecker checker(1e-2f, 1e-2f);
  checker.CheckGradientEltwise(layer.get(), {&bottom}, {&top});
}

TEST(FlattenLayerTest, Errors) {
  Blob bottom(Shape{2, 3, 4}), top;
  auto reversed = MakeLayer("name: 'f' type: 'Flatten' flatten_param { axis: 2 end_axis: 1 }");
  EXPECT_THROW(reversed->SetUp({&bottom}, {&top}), Error);
  auto out_of_range = MakeLayer("name: 'f' type: 'Flatten' flatten_param { axis: 3 }");
  try {
    out_of_range->SetUp({&bottom}, {&top});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'f'"), std::string::npos) << e.what();
  }
}

// ---- Reshape ----

Shape ReshapeShape(const std::string& param, const Shape& in) {
  Blob bottom(in), top;
  auto layer = MakeLayer("name: 'r' type: 'Reshape' reshape_param { " + param + " }");
  layer->SetUp({&bottom}, {&top});
  return top.shape();
}

TEST(ReshapeLayerTest, CopyAndInfer) {
  const Shape in{2, 3, 6, 5};
  EXPECT_EQ((Shape{2, 90}), ReshapeShape("shape { dim: 0 dim: -1 }", in));
  EXPECT_EQ((Shape{180}), ReshapeShape("shape { dim: -1 }", in));
  EXPECT_EQ((Shape{6, 3, 10}), ReshapeShape("shape { dim: 6 dim: 0 dim: -1 }", in));
  EXPECT_EQ((Shape{2, 3, 6, 5}), ReshapeShape("shape { dim: 0 dim: 0 dim: 0 dim: 0 }", in));
  EXPECT_EQ((Shape{2, 3, 2, 15}), ReshapeShape("shape { dim: 2 dim: 3 dim: 2 dim: 15 }", in));
  EXPECT_EQ((Shape{2, 3, 30, 1}), ReshapeShape("shape { dim: 0 dim: 0 dim: -1 dim: 1 }", in));
}

TEST(ReshapeLayerTest, AxisAndNumAxes) {
  const Shape in{2, 3, 6, 5};
  EXPECT_EQ((Shape{2, 18, 5}), ReshapeShape("axis: 1 num_axes: 2 shape { dim: 18 }", in));
  EXPECT_EQ((Shape{2, 18, 5}), ReshapeShape("axis: 1 num_axes: 2 shape { dim: -1 }", in));
  EXPECT_EQ((Shape{1, 2, 3, 6, 5}), ReshapeShape("axis: 0 num_axes: 0 shape { dim: 1 }", in));
  EXPECT_EQ((Shape{2, 1, 3, 6, 5}), ReshapeShape("axis: 1 num_axes: 0 shape { dim: 1 }", in));
  // axis -1 is after the last axis; -2 is the last axis.
  EXPECT_EQ((Shape{2, 3, 6, 5, 1, 1}),
            ReshapeShape("axis: -1 num_axes: 0 shape { dim: 1 dim: 1 }", in));
  EXPECT_EQ((Shape{2, 3, 6, 5, 1}), ReshapeShape("axis: -2 shape { dim: 5 dim: 1 }", in));
  // A 0 copies the bottom axis at the same position relative to axis.
  EXPECT_EQ((Shape{2, 3, 3, 10}), ReshapeShape("axis: 2 shape { dim: 3 dim: -1 }", in));
  EXPECT_EQ((Shape{2, 3, 6, 5}), ReshapeShape("axis: 2 shape { dim: 0 dim: -1 }", in));
}

TEST(ReshapeLayerTest, SharesDataAndDiff) {
  Blob bottom(Shape{2, 3, 2}), top;
  FillGaussian(&bottom);
  auto layer = MakeLayer("type: 'Reshape' reshape_param { shape { dim: -1 dim: 2 } }");
  layer->SetUp({&bottom}, {&top});
  layer->Forward({&bottom}, {&top});
  EXPECT_EQ((Shape{6, 2}), top.shape());
  EXPECT_EQ(bottom.cpu_data(), top.cpu_data());
  EXPECT_EQ(bottom.cpu_diff(), top.cpu_diff());
}

TEST(ReshapeLayerTest, Gradient) {
  Blob bottom(Shape{2, 3, 2}), top;
  FillGaussian(&bottom);
  auto layer = MakeLayer("type: 'Reshape' reshape_param { shape { dim: 0 dim: -1 dim: 1 } }");
  GradientChecker checker(1e-2f, 1e-2f);
  checker.CheckGradientEltwise(layer.get(), {&bottom}, {&top});
}

TEST(ReshapeLayerTest, Errors) {
  const Shape in{2, 3, 6, 5};
  EXPECT_THROW(ReshapeShape("shape { dim: -1 dim: -1 }", in), Error);
  EXPECT_THROW(ReshapeShape("shape { dim: 7 dim: -1 }", in), Error);     // 180 % 7
  EXPECT_THROW(ReshapeShape("shape { dim: 2 dim: 3 }", in), Error);      // count
  EXPECT_THROW(ReshapeShape("axis: 3 shape { dim: 0 dim: 0 }", in), Error);  // no axis 4
  EXPECT_THROW(ReshapeShape("axis: 5 shape { dim: 1 }", in), Error);
  EXPECT_THROW(ReshapeShape("axis: 2 num_axes: 3 shape { dim: -1 }", in), Error);
  try {
    ReshapeShape("shape { dim: 7 dim: 7 }", in);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'r'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(ShapeString(in)), std::string::npos) << e.what();
  }
}

// ---- Silence ----

TEST(SilenceLayerTest, BackwardWritesZeros) {
  Blob a(Shape{2, 3}), b(Shape{4});
  auto layer = MakeLayer("type: 'Silence'");
  layer->SetUp({&a, &b}, {});
  layer->Forward({&a, &b}, {});
  for (int i = 0; i < a.count(); ++i) a.mutable_cpu_diff()[i] = 5.f;
  for (int i = 0; i < b.count(); ++i) b.mutable_cpu_diff()[i] = 5.f;
  layer->Backward({}, {true, false}, {&a, &b});
  for (int i = 0; i < a.count(); ++i) EXPECT_EQ(0.f, a.cpu_diff()[i]);
  for (int i = 0; i < b.count(); ++i) EXPECT_EQ(5.f, b.cpu_diff()[i]);
}

TEST(SilenceLayerTest, Gradient) {
  Blob a(Shape{2, 3});
  FillGaussian(&a);
  auto layer = MakeLayer("type: 'Silence'");
  GradientChecker checker(1e-2f, 1e-3f);
  checker.CheckGradient(layer.get(), {&a}, {});
}

}  // namespace
}  // namespace crema
