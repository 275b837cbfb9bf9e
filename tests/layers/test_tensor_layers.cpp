// Crop, ArgMax, Embed, Tile, Reduction, MVN, BatchReindex, Filter and
// Parameter: shapes, values computed by hand, numerical gradients, errors.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
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

void SetData(Blob* blob, const std::vector<float>& values) {
  ASSERT_EQ(blob->count(), static_cast<int>(values.size()));
  for (size_t i = 0; i < values.size(); ++i) blob->mutable_cpu_data()[i] = values[i];
}

void Iota(Blob* blob, float start = 0.f) {
  for (int i = 0; i < blob->count(); ++i) blob->mutable_cpu_data()[i] = start + i;
}

std::vector<float> Values(const Blob& blob) {
  return std::vector<float>(blob.cpu_data(), blob.cpu_data() + blob.count());
}

std::string ErrorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// ---- Crop ----

TEST(CropLayerTest, ForwardWithOffsets) {
  Blob big(1, 1, 4, 5);
  Iota(&big);
  Blob ref(1, 1, 2, 3);
  Blob top;
  auto layer = MakeLayer("type: 'Crop' crop_param { offset: 1 offset: 2 }");
  layer->SetUp({&big, &ref}, {&top});
  layer->Forward({&big, &ref}, {&top});
  EXPECT_EQ((std::vector<int>{1, 1, 2, 3}), top.shape());
  // Rows 1-2, columns 2-4 of a 4x5 ramp.
  EXPECT_EQ((std::vector<float>{7, 8, 9, 12, 13, 14}), Values(top));
}

TEST(CropLayerTest, AxisAndSingleOffset) {
  Blob big(2, 4, 3, 3);
  Iota(&big);
  Blob ref(1, 2, 2, 2);
  Blob top;
  // From axis 1 with offset 1 on every cropped axis; axis 0 keeps 2.
  auto layer = MakeLayer("type: 'Crop' crop_param { axis: 1 offset: 1 }");
  layer->SetUp({&big, &ref}, {&top});
  layer->Forward({&big, &ref}, {&top});
  EXPECT_EQ((std::vector<int>{2, 2, 2, 2}), top.shape());
  for (int n = 0; n < 2; ++n) {
    for (int c = 0; c < 2; ++c) {
      for (int h = 0; h < 2; ++h) {
        for (int w = 0; w < 2; ++w) {
          EXPECT_EQ(big.data_at(n, c + 1, h + 1, w + 1), top.data_at(n, c, h, w));
        }
      }
    }
  }
  // No offsets: the window starts at 0; a negative axis counts from the end.
  auto corner = MakeLayer("type: 'Crop' crop_param { axis: -2 }");
  corner->SetUp({&big, &ref}, {&top});
  corner->Forward({&big, &ref}, {&top});
  EXPECT_EQ((std::vector<int>{2, 4, 2, 2}), top.shape());
  EXPECT_EQ(big.data_at(1, 3, 1, 1), top.data_at(1, 3, 1, 1));
}

TEST(CropLayerTest, Gradient) {
  struct Case {
    std::vector<int> big, small;
    std::string param;
  };
  const std::vector<Case> cases = {
      {{2, 2, 4, 5}, {2, 2, 2, 3}, "crop_param { offset: 1 offset: 2 }"},
      {{2, 3, 4, 4}, {1, 2, 3, 3}, "crop_param { axis: 1 offset: 1 }"},
      {{3, 5}, {3, 2}, "crop_param { axis: 1 offset: 3 }"},
      {{2, 3, 3, 2, 4}, {1, 1, 2, 2, 2}, "crop_param { axis: 2 offset: 1 offset: 0 offset: 2 }"},
  };
  for (const Case& c : cases) {
    Blob big(c.big), small(c.small), top;
    FillGaussian(&big);
    auto layer = MakeLayer("type: 'Crop' " + c.param);
    layer->SetUp({&big, &small}, {&top});
    GradientChecker checker(1e-2f, 1e-3f);
    checker.CheckGradientExhaustive(layer.get(), {&big, &small}, {&top}, 0);
  }
}

TEST(CropLayerTest, ShapeErrorsNameLayerAndShapes) {
  Blob big(1, 1, 4, 4), ref(1, 1, 3, 3), top;
  auto layer = MakeLayer("name: 'crop1' type: 'Crop' crop_param { offset: 2 }");
  const std::string message = ErrorOf([&] { layer->SetUp({&big, &ref}, {&top}); });
  EXPECT_NE(std::string::npos, message.find("'crop1' (Crop)")) << message;
  EXPECT_NE(std::string::npos, message.find("1 x 1 x 4 x 4")) << message;
  EXPECT_NE(std::string::npos, message.find("1 x 1 x 3 x 3")) << message;

  Blob flat(std::vector<int>{1, 16});
  EXPECT_NE("", ErrorOf([&] { MakeLayer("type: 'Crop'")->SetUp({&big, &flat}, {&top}); }));
  EXPECT_NE("", ErrorOf([&] {
              MakeLayer("type: 'Crop' crop_param { offset: 0 offset: 0 offset: 0 }")
                  ->SetUp({&big, &ref}, {&top});
            }));
  Blob larger(1, 1, 5, 5);
  EXPECT_NE("", ErrorOf([&] { MakeLayer("type: 'Crop'")->SetUp({&big, &larger}, {&top}); }));
}

// ---- ArgMax ----

TEST(ArgMaxLayerTest, FlattenedTopK) {
  Blob bottom(2, 5, 1, 1);
  SetData(&bottom, {3, 1, 4, 1, 5, /**/ 9, 2, 6, 5, 3});
  Blob top;
  auto layer = MakeLayer("type: 'ArgMax' argmax_param { top_k: 2 }");
  layer->SetUp({&bottom}, {&top});
  layer->Forward({&bottom}, {&top});
  EXPECT_EQ((std::vector<int>{2, 1, 2, 1}), top.shape());
  EXPECT_EQ((std::vector<float>{4, 2, 0, 2}), Values(top));

  auto with_values = MakeLayer("type: 'ArgMax' argmax_param { top_k: 2 out_max_val: true }");
  with_values->SetUp({&bottom}, {&top});
  with_values->Forward({&bottom}, {&top});
  EXPECT_EQ((std::vector<int>{2, 2, 2, 1}), top.shape());
  EXPECT_EQ((std::vector<float>{4, 2, 5, 4, 0, 2, 9, 6}), Values(top));
}

TEST(ArgMaxLayerTest, AlongAxisAndTies) {
  Blob bottom(std::vector<int>{2, 3});
  SetData(&bottom, {1, 7, 3, /**/ 8, 2, 8});
  Blob top;
  auto layer = MakeLayer("type: 'ArgMax' argmax_param { axis: 0 }");
  layer->SetUp({&bottom}, {&top});
  layer->Forward({&bottom}, {&top});
  EXPECT_EQ((std::vector<int>{1, 3}), top.shape());
  EXPECT_EQ((std::vector<float>{1, 0, 1}), Values(top));

  auto values = MakeLayer("type: 'ArgMax' argmax_param { axis: 1 top_k: 2 out_max_val: true }");
  values->SetUp({&bottom}, {&top});
  values->Forward({&bottom}, {&top});
  EXPECT_EQ((std::vector<int>{2, 2}), top.shape());
  EXPECT_EQ((std::vector<float>{7, 3, 8, 8}), Values(top));

  // A tie goes to the higher index.
  auto indices = MakeLayer("type: 'ArgMax' argmax_param { axis: -1 top_k: 3 }");
  indices->SetUp({&bottom}, {&top});
  indices->Forward({&bottom}, {&top});
  EXPECT_EQ((std::vector<float>{1, 2, 0, 2, 0, 1}), Values(top));
}

TEST(ArgMaxLayerTest, MiddleAxisOf4D) {
  Blob bottom(2, 3, 2, 2);
  FillGaussian(&bottom);
  Blob top;
  auto layer = MakeLayer("type: 'ArgMax' argmax_param { axis: 1 }");
  layer->SetUp({&bottom}, {&top});
  layer->Forward({&bottom}, {&top});
  EXPECT_EQ((std::vector<int>{2, 1, 2, 2}), top.shape());
  for (int n = 0; n < 2; ++n) {
    for (int h = 0; h < 2; ++h) {
      for (int w = 0; w < 2; ++w) {
        int best = 0;
        for (int c = 1; c < 3; ++c) {
          if (bottom.data_at(n, c, h, w) > bottom.data_at(n, best, h, w)) best = c;
        }
        EXPECT_EQ(best, top.data_at(n, 0, h, w));
      }
    }
  }
}

TEST(ArgMaxLayerTest, Errors) {
  Blob bottom(2, 3, 1, 1), top;
  EXPECT_NE("", ErrorOf([&] {
              MakeLayer("type: 'ArgMax' argmax_param { top_k: 4 }")->SetUp({&bottom}, {&top});
            }));
  EXPECT_NE(
      "", ErrorOf([&] {
        MakeLayer("type: 'ArgMax' argmax_param { axis: 0 top_k: 3 }")->SetUp({&bottom}, {&top});
      }));
  auto layer = MakeLayer("type: 'ArgMax'");
  layer->SetUp({&bottom}, {&top});
  layer->Forward({&bottom}, {&top});
  EXPECT_NE("", ErrorOf([&] { layer->Backward({&top}, {true}, {&bottom}); }));
}

// ---- Embed ----

TEST(EmbedLayerTest, ForwardLooksUpRows) {
  Blob indices(std::vector<int>{2, 2});
  SetData(&indices, {2, 0, 2, 1});
  Blob top;
  auto layer = MakeLayer(
      "type: 'Embed' embed_param { num_output: 3 input_dim: 4 "
      "weight_filler { type: 'gaussian' } bias_filler { type: 'constant' value: 0.5 } }");
  layer->SetUp({&indices}, {&top});
  ASSERT_EQ(2u, layer->blobs().size());
  EXPECT_EQ((std::vector<int>{4, 3}), layer->blobs()[0]->shape());
  EXPECT_EQ((std::vector<int>{3}), layer->blobs()[1]->shape());
  layer->Forward({&indices}, {&top});
  EXPECT_EQ((std::vector<int>{2, 2, 3}), top.shape());
  const float* w = layer->blobs()[0]->cpu_data();
  const int rows[] = {2, 0, 2, 1};
  for (int i = 0; i < 4; ++i) {
    for (int d = 0; d < 3; ++d) {
      EXPECT_FLOAT_EQ(w[rows[i] * 3 + d] + 0.5f, top.cpu_data()[i * 3 + d]);
    }
  }
}

TEST(EmbedLayerTest, GradientToWeightsOnly) {
  for (const char* bias : {"true", "false"}) {
    Blob indices(std::vector<int>{5});
    SetData(&indices, {1, 3, 1, 0, 4});
    Blob top;
    auto layer = MakeLayer(std::string("type: 'Embed' embed_param { num_output: 4 input_dim: 5 "
                                       "bias_term: ") +
                           bias +
                           " weight_filler { type: 'uniform' min: -1 max: 1 } "
                           "bias_filler { type: 'uniform' min: -1 max: 1 } }");
    layer->SetUp({&indices}, {&top});
    GradientChecker checker(1e-2f, 1e-3f);
    // check_bottom past the end: only the parameters are checked.
    checker.CheckGradientExhaustive(layer.get(), {&indices}, {&top}, 1);
  }
}

TEST(EmbedLayerTest, Errors) {
  Blob indices(std::vector<int>{3});
  SetData(&indices, {0, 4, 1});
  Blob top;
  auto layer = MakeLayer("name: 'emb' type: 'Embed' embed_param { num_output: 2 input_dim: 4 }");
  layer->SetUp({&indices}, {&top});
  const std::string message = ErrorOf([&] { layer->Forward({&indices}, {&top}); });
  EXPECT_NE(std::string::npos, message.find("'emb' (Embed)")) << message;
  EXPECT_NE(std::string::npos, message.find("input_dim")) << message;
  SetData(&indices, {0, -1, 1});
  EXPECT_NE("", ErrorOf([&] { layer->Forward({&indices}, {&top}); }));
  SetData(&indices, {0, 1.5f, 1});
  EXPECT_NE("", ErrorOf([&] { layer->Forward({&indices}, {&top}); }));
  SetData(&indices, {0, 1, 1});
  layer->Forward({&indices}, {&top});
  EXPECT_NE("", ErrorOf([&] { layer->Backward({&top}, {true}, {&indices}); }));
  EXPECT_NE("", ErrorOf([&] {
              MakeLayer("type: 'Embed' embed_param { input_dim: 4 }")->SetUp({&indices}, {&top});
            }));
}

// ---- Tile ----

TEST(TileLayerTest, Forward) {
  Blob bottom(std::vector<int>{2, 2});
  SetData(&bottom, {1, 2, 3, 4});
  Blob top;
  auto layer = MakeLayer("type: 'Tile' tile_param { tiles: 3 }");
  layer->SetUp({&bottom}, {&top});
  layer->Forward({&bottom}, {&top});
  EXPECT_EQ((std::vector<int>{2, 6}), top.shape());
  EXPECT_EQ((std::vector<float>{1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4}), Values(top));
  auto axis0 = MakeLayer("type: 'Tile' tile_param { axis: 0 tiles: 2 }");
  axis0->SetUp({&bottom}, {&top});
  axis0->Forward({&bottom}, {&top});
  EXPECT_EQ((std::vector<int>{4, 2}), top.shape());
  EXPECT_EQ((std::vector<float>{1, 2, 3, 4, 1, 2, 3, 4}), Values(top));
}

TEST(TileLayerTest, GradientAndErrors) {
  for (const char* param :
       {"tile_param { tiles: 3 }", "tile_param { axis: 0 tiles: 2 }",
        "tile_param { axis: -1 tiles: 2 }", "tile_param { axis: 2 tiles: 1 }"}) {
    Blob bottom(2, 3, 2, 2), top;
    FillGaussian(&bottom);
    auto layer = MakeLayer(std::string("type: 'Tile' ") + param);
    layer->SetUp({&bottom}, {&top});
    GradientChecker checker(1e-2f, 1e-3f);
    checker.CheckGradientExhaustive(layer.get(), {&bottom}, {&top});
  }
  Blob bottom(2, 3, 1, 1), top;
  EXPECT_NE("", ErrorOf([&] { MakeLayer("type: 'Tile'")->SetUp({&bottom}, {&top}); }));
  EXPECT_NE("", ErrorOf([&] {
              MakeLayer("type: 'Tile' tile_param { tiles: 0 }")->SetUp({&bottom}, {&top});
            }));
  EXPECT_NE("", ErrorOf([&] {
              MakeLayer("type: 'Tile' tile_param { axis: 4 tiles: 2 }")->SetUp({&bottom}, {&top});
            }));
}

// ---- Reduction ----

TEST(ReductionLayerTest, ForwardEachOperation) {
  Blob bottom(std::vector<int>{2, 3});
  SetData(&bottom, {1, -2, 3, -4, 5, 6});
  Blob top;
  struct Case {
    std::string param;
    std::vector<int> shape;
    std::vector<float> expected;
  };
  const std::vector<Case> cases = {
      {"", {}, {9}},
      {"operation: ASUM", {}, {21}},
      {"operation: SUMSQ", {}, {91}},
      {"operation: MEAN", {}, {1.5f}},
      {"operation: SUM axis: 1", {2}, {2, 7}},
      {"operation: ASUM axis: 1 coeff: 2", {2}, {12, 30}},
      {"operation: SUMSQ axis: -1 coeff: 0.5", {2}, {7, 38.5f}},
      {"operation: MEAN axis: 1 coeff: -3", {2}, {-2, -7}},
  };
  for (const Case& c : cases) {
    auto layer = MakeLayer("type: 'Reduction' reduction_param { " + c.param + " }");
    layer->SetUp({&bottom}, {&top});
    layer->Forward({&bottom}, {&top});
    EXPECT_EQ(c.shape, top.shape()) << c.param;
    const std::vector<float> values = Values(top);
    ASSERT_EQ(c.expected.size(), values.size()) << c.param;
    for (size_t i = 0; i < values.size(); ++i) EXPECT_FLOAT_EQ(c.expected[i], values[i]) << c.param;
  }
}

TEST(ReductionLayerTest, Gradient) {
  for (const char* op : {"SUM", "ASUM", "SUMSQ", "MEAN"}) {
    for (const char* rest : {"", "axis: 1 coeff: 2.5", "axis: 2 coeff: -0.5", "axis: -1"}) {
      Blob bottom(2, 3, 2, 2), top;
      FillGaussian(&bottom);
      auto layer = MakeLayer(std::string("type: 'Reduction' reduction_param { operation: ") + op +
                             " " + rest + " }");
      layer->SetUp({&bottom}, {&top});
      GradientChecker checker(1e-2f, 2e-3f, 1701, 0.f, 0.01f);
      checker.CheckGradientExhaustive(layer.get(), {&bottom}, {&top});
    }
  }
}

// ---- MVN ----

TEST(MVNLayerTest, ForwardHandComputed) {
  Blob bottom(1, 2, 1, 2);
  SetData(&bottom, {1, 3, 10, 30});
  Blob top;
  auto layer = MakeLayer("type: 'MVN'");
  layer->SetUp({&bottom}, {&top});
  layer->Forward({&bottom}, {&top});
  // Each channel: mean removed, divided by its std (1 and 10).
  const std::vector<float> values = Values(top);
  const std::vector<float> expected = {-1, 1, -1, 1};
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(expected[i], values[i], 1e-5f);

  auto mean_only = MakeLayer("type: 'MVN' mvn_param { normalize_variance: false }");
  mean_only->SetUp({&bottom}, {&top});
  mean_only->Forward({&bottom}, {&top});
  EXPECT_EQ((std::vector<float>{-1, 1, -10, 10}), Values(top));

  auto across = MakeLayer("type: 'MVN' mvn_param { across_channels: true eps: 0.5 }");
  across->SetUp({&bottom}, {&top});
  across->Forward({&bottom}, {&top});
  // Mean 11; variance (100 + 64 + 1 + 361) / 4 = 131.5; eps adds to the std.
  const float std_eps = std::sqrt(131.5f) + 0.5f;
  const float x[] = {1, 3, 10, 30};
  for (int i = 0; i < 4; ++i) EXPECT_NEAR((x[i] - 11.f) / std_eps, top.cpu_data()[i], 1e-5f);
}

TEST(MVNLayerTest, Gradient) {
  for (const char* param :
       {"", "mvn_param { normalize_variance: false }", "mvn_param { across_channels: true }",
        "mvn_param { across_channels: true normalize_variance: false }"}) {
    for (const auto& shape : {std::vector<int>{2, 3, 2, 2}, std::vector<int>{3, 2, 3}}) {
      Blob bottom(shape), top;
      FillGaussian(&bottom);
      auto layer = MakeLayer(std::string("type: 'MVN' ") + param);
      layer->SetUp({&bottom}, {&top});
      GradientChecker checker(1e-3f, 1e-2f);
      checker.CheckGradientExhaustive(layer.get(), {&bottom}, {&top});
    }
  }
}

// ---- BatchReindex ----

TEST(BatchReindexLayerTest, ForwardAndBackward) {
  Blob data(std::vector<int>{3, 2});
  SetData(&data, {1, 2, 3, 4, 5, 6});
  Blob index(std::vector<int>{4});
  SetData(&index, {2, 0, 2, 1});
  Blob top;
  auto layer = MakeLayer("type: 'BatchReindex'");
  layer->SetUp({&data, &index}, {&top});
  layer->Forward({&data, &index}, {&top});
  EXPECT_EQ((std::vector<int>{4, 2}), top.shape());
  EXPECT_EQ((std::vector<float>{5, 6, 1, 2, 5, 6, 3, 4}), Values(top));
  for (int i = 0; i < 8; ++i) top.mutable_cpu_diff()[i] = static_cast<float>(i);
  layer->Backward({&top}, {true, false}, {&data, &index});
  // Item 2 was picked twice: rows 0 and 2 of the top add up.
  EXPECT_EQ((std::vector<float>{2, 3, 6, 7, 4, 6}),
            std::vector<float>(data.cpu_diff(), data.cpu_diff() + 6));
}

TEST(BatchReindexLayerTest, Gradient) {
  for (const std::vector<float>& picks :
       {std::vector<float>{1, 0, 2}, std::vector<float>{2, 2, 0, 2, 1}, std::vector<float>{1}}) {
    Blob data(3, 2, 2, 1), index(std::vector<int>{static_cast<int>(picks.size())}), top;
    FillGaussian(&data);
    SetData(&index, picks);
    auto layer = MakeLayer("type: 'BatchReindex'");
    layer->SetUp({&data, &index}, {&top});
    GradientChecker checker(1e-2f, 1e-3f);
    checker.CheckGradientExhaustive(layer.get(), {&data, &index}, {&top}, 0);
  }
}

TEST(BatchReindexLayerTest, Errors) {
  Blob data(3, 2, 1, 1), index(std::vector<int>{2}), top;
  SetData(&index, {0, 3});
  auto layer = MakeLayer("name: 'ri' type: 'BatchReindex'");
  layer->SetUp({&data, &index}, {&top});
  const std::string message = ErrorOf([&] { layer->Forward({&data, &index}, {&top}); });
  EXPECT_NE(std::string::npos, message.find("'ri' (BatchReindex)")) << message;
  EXPECT_NE(std::string::npos, message.find("out of range")) << message;
  Blob index2d(std::vector<int>{2, 1});
  EXPECT_NE("", ErrorOf([&] {
              MakeLayer("type: 'BatchReindex'")->SetUp({&data, &index2d}, {&top});
            }));
}

// ---- Filter ----

TEST(FilterLayerTest, ForwardKeepsSelectedItems) {
  Blob data(4, 2, 1, 1), labels(std::vector<int>{4}), selector(std::vector<int>{4, 1});
  Iota(&data);
  SetData(&labels, {10, 11, 12, 13});
  SetData(&selector, {0, 1, 0, 1});
  Blob top_data, top_labels;
  auto layer = MakeLayer("type: 'Filter'");
  layer->SetUp({&data, &labels, &selector}, {&top_data, &top_labels});
  // Set up for all items; the first forward filters.
  EXPECT_EQ(4, top_data.shape(0));
  layer->Forward({&data, &labels, &selector}, {&top_data, &top_labels});
  EXPECT_EQ((std::vector<int>{2, 2, 1, 1}), top_data.shape());
  EXPECT_EQ((std::vector<float>{2, 3, 6, 7}), Values(top_data));
  EXPECT_EQ((std::vector<float>{11, 13}), Values(top_labels));
}

TEST(FilterLayerTest, Gradient) {
  for (const std::vector<float>& sel :
       {std::vector<float>{1, 0, 1, 1}, std::vector<float>{0, 0, 1, 0},
        std::vector<float>{1, 1, 1, 1}}) {
    Blob a(4, 3, 2, 1), b(std::vector<int>{4, 2}), selector(std::vector<int>{4});
    FillGaussian(&a);
    FillGaussian(&b);
    SetData(&selector, sel);
    Blob ta, tb;
    auto layer = MakeLayer("type: 'Filter'");
    layer->SetUp({&a, &b, &selector}, {&ta, &tb});
    GradientChecker checker(1e-2f, 1e-3f);
    checker.CheckGradientExhaustive(layer.get(), {&a, &b, &selector}, {&ta, &tb}, 0);
    checker.CheckGradientExhaustive(layer.get(), {&a, &b, &selector}, {&ta, &tb}, 1);
    // Unselected items get zero gradient.
    for (int n = 0; n < 4; ++n) {
      if (sel[n] != 0.f) continue;
      for (int k = 0; k < 6; ++k) EXPECT_EQ(0.f, a.cpu_diff()[n * 6 + k]);
    }
  }
}

TEST(FilterLayerTest, Errors) {
  Blob data(4, 2, 1, 1), selector(std::vector<int>{4, 2}), top;
  EXPECT_NE("", ErrorOf([&] { MakeLayer("type: 'Filter'")->SetUp({&data, &selector}, {&top}); }));
  Blob short_selector(std::vector<int>{3});
  EXPECT_NE("", ErrorOf([&] {
              MakeLayer("type: 'Filter'")->SetUp({&data, &short_selector}, {&top});
            }));
  Blob ok(std::vector<int>{4}), top2;
  EXPECT_NE("", ErrorOf([&] { MakeLayer("type: 'Filter'")->SetUp({&data, &ok}, {&top, &top2}); }));
  auto layer = MakeLayer("type: 'Filter'");
  layer->SetUp({&data, &ok}, {&top});
  EXPECT_FALSE(layer->AllowForceBackward(1));
  EXPECT_TRUE(layer->AllowForceBackward(0));
}

// ---- Parameter ----

TEST(ParameterLayerTest, TopSharesTheLearnableBlob) {
  Blob top;
  auto layer = MakeLayer("type: 'Parameter' parameter_param { shape { dim: 2 dim: 3 } }");
  layer->SetUp({}, {&top});
  ASSERT_EQ(1u, layer->blobs().size());
  EXPECT_EQ((std::vector<int>{2, 3}), layer->blobs()[0]->shape());
  EXPECT_EQ((std::vector<int>{2, 3}), top.shape());
  EXPECT_TRUE(layer->param_propagate_down(0));
  Iota(layer->blobs()[0].get(), 1.f);
  layer->Forward({}, {&top});
  EXPECT_EQ((std::vector<float>{1, 2, 3, 4, 5, 6}), Values(top));
  // A gradient written to the top is the parameter's gradient.
  top.mutable_cpu_diff()[4] = 7.f;
  EXPECT_EQ(7.f, layer->blobs()[0]->cpu_diff()[4]);
}

TEST(ParameterLayerTest, KeepsLoadedWeights) {
  LayerParameter param = ParseText<LayerParameter>(
      "type: 'Parameter' parameter_param { shape { dim: 2 } } "
      "blobs { shape { dim: 2 } data: 5 data: 6 }");
  auto layer = LayerRegistry::Create(param);
  Blob top;
  layer->SetUp({}, {&top});
  layer->Forward({}, {&top});
  EXPECT_EQ((std::vector<float>{5, 6}), Values(top));
  LayerParameter wrong = ParseText<LayerParameter>(
      "type: 'Parameter' parameter_param { shape { dim: 3 } } "
      "blobs { shape { dim: 2 } data: 5 data: 6 }");
  EXPECT_THROW(LayerRegistry::Create(wrong)->SetUp({}, {&top}), Error);
}

}  // namespace
}  // namespace crema
