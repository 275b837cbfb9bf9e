#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>

#include <filesystem>
#include <fstream>

#include "crema/common.hpp"
#include "crema/stateful.hpp"
#include "crema/io/proto_io.hpp"
#include "crema/layer_registry.hpp"
#include "crema/layers/memory_data_layer.hpp"
#include "data/data_test_util.hpp"
#include "support/test_util.hpp"

namespace crema {
namespace {

using testing::MakeDatum;
using testing::ParseText;
using testing::ScratchDir;
using testing::WriteDatumDB;

struct Tops {
  Blob data, label;
  std::vector<Blob*> vec() { return {&data, &label}; }
};

std::shared_ptr<Layer> MakeLayer(const std::string& text, Tops* tops) {
  auto layer = LayerRegistry::Create(ParseText<LayerParameter>(text));
  layer->SetUp({}, tops->vec());
  return layer;
}

std::string DataParam(const std::string& source, int batch, const std::string& extra = "",
                      const std::string& phase = "TRAIN") {
  return "name: 'mnist' type: 'Data' phase: " + phase + " data_param { source: '" + source +
         "' batch_size: " + std::to_string(batch) + " backend: LMDB prefetch: 2 } " + extra;
}

// Record i: 1 x 3 x 3 bytes starting at i, label i.
void WriteTen(const std::string& path) {
  WriteDatumDB(path, 10, [](int i) { return MakeDatum(1, 3, 3, i, i); });
}

TEST(DataLayerTest, DeliversEveryRecordOncePerEpochInOrder) {
  ScratchDir dir;
  WriteTen(dir / "db");
  Tops tops;
  auto layer = MakeLayer(DataParam(dir / "db", 4), &tops);
  EXPECT_EQ(tops.data.shape(), (std::vector<int>{4, 1, 3, 3}));
  EXPECT_EQ(tops.label.shape(), (std::vector<int>{4}));
  std::vector<int> labels;
  for (int iter = 0; iter < 10; ++iter) {  // 40 records = 4 epochs
    layer->Forward({}, tops.vec());
    for (int n = 0; n < 4; ++n) {
      const int label = static_cast<int>(tops.label.cpu_data()[n]);
      labels.push_back(label);
      ASSERT_EQ(tops.data.data_at(n, 0, 0, 0), static_cast<float>(label));
      ASSERT_EQ(tops.data.data_at(n, 0, 2, 2), static_cast<float>(label + 8));
    }
  }
  for (int i = 0; i < 40; ++i) EXPECT_EQ(labels[i], i % 10) << "at " << i;
}

TEST(DataLayerTest, DataOnlyTopAndTransform) {
  ScratchDir dir;
  WriteTen(dir / "db");
  Blob data;
  auto layer = LayerRegistry::Create(ParseText<LayerParameter>(
      DataParam(dir / "db", 2, "transform_param { scale: 0.5 crop_size: 1 }", "TEST")));
  layer->SetUp({}, {&data});
  layer->Forward({}, {&data});
  EXPECT_EQ(data.shape(), (std::vector<int>{2, 1, 1, 1}));
  EXPECT_EQ(data.cpu_data()[0], 2.f);  // center of record 0 is 4, times 0.5
  EXPECT_EQ(data.cpu_data()[1], 2.5f);
}

TEST(DataLayerTest, SaveAndRestoreStateRepositionExactly) {
  ScratchDir dir;
  WriteDatumDB(dir / "db", 7, [](int i) { return MakeDatum(1, 4, 4, i * 16, i); });
  const std::string text =
      DataParam(dir / "db", 3, "transform_param { crop_size: 2 mirror: true }");
  Tops tops_a;
  auto a = MakeLayer(text, &tops_a);
  for (int i = 0; i < 4; ++i) a->Forward({}, tops_a.vec());
  // Let the thread run ahead; the state must not depend on it.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  const std::string state = dynamic_cast<StatefulLayer*>(a.get())->SaveState();
  EXPECT_EQ(state, dynamic_cast<StatefulLayer*>(a.get())->SaveState());
  std::vector<float> expected;
  for (int i = 0; i < 5; ++i) {
    a->Forward({}, tops_a.vec());
    expected.insert(expected.end(), tops_a.data.cpu_data(),
                    tops_a.data.cpu_data() + tops_a.data.count());
    expected.insert(expected.end(), tops_a.label.cpu_data(), tops_a.label.cpu_data() + 3);
  }

  Crema::set_random_seed(99);  // a different engine before the restore
  Tops tops_b;
  auto b = MakeLayer(text, &tops_b);
  b->Forward({}, tops_b.vec());
  dynamic_cast<StatefulLayer*>(b.get())->RestoreState(state);
  std::vector<float> got;
  for (int i = 0; i < 5; ++i) {
    b->Forward({}, tops_b.vec());
    got.insert(got.end(), tops_b.data.cpu_data(), tops_b.data.cpu_data() + tops_b.data.count());
    got.insert(got.end(), tops_b.label.cpu_data(), tops_b.label.cpu_data() + 3);
  }
  EXPECT_EQ(got, expected);
  // Next label after 4 batches of 3 from 7 records: record 12 % 7 = 5.
  EXPECT_EQ(expected[12], 5.f);
  EXPECT_THROW(dynamic_cast<StatefulLayer*>(b.get())->RestoreState("garbage"), Error);
  b->Forward({}, tops_b.vec());  // still usable after a failed restore
}

std::string ErrorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(DataLayerTest, MissingSourceNamesLayerAndPath) {
  ScratchDir dir;
  Tops tops;
  const std::string msg = ErrorOf([&] { MakeLayer(DataParam(dir / "nope_lmdb", 2), &tops); });
  EXPECT_NE(msg.find("'mnist'"), std::string::npos) << msg;
  EXPECT_NE(msg.find(dir / "nope_lmdb"), std::string::npos) << msg;
}

TEST(DataLayerTest, WrongDatumSizeNamesLayerFileAndSizes) {
  ScratchDir dir;
  // Record 3 claims 1 x 3 x 3 but holds 5 bytes.
  WriteDatumDB(dir / "db", 6, [](int i) {
    Datum d = MakeDatum(1, 3, 3, i, i);
    if (i == 3) d.set_data("12345");
    return d;
  });
  Tops tops;
  auto layer = MakeLayer(DataParam(dir / "db", 2), &tops);
  layer->Forward({}, tops.vec());
  const std::string msg = ErrorOf([&] { layer->Forward({}, tops.vec()); });
  EXPECT_NE(msg.find("'mnist'"), std::string::npos) << msg;
  EXPECT_NE(msg.find(dir / "db"), std::string::npos) << msg;
  EXPECT_NE(msg.find("00000003"), std::string::npos) << msg;
  EXPECT_NE(msg.find("9 values"), std::string::npos) << msg;
  EXPECT_NE(msg.find("5 values"), std::string::npos) << msg;
  // It stays failed.
  EXPECT_FALSE(ErrorOf([&] { layer->Forward({}, tops.vec()); }).empty());

  // A record of another shape within a batch.
  WriteDatumDB(dir / "db2", 4, [](int i) { return MakeDatum(1, i == 1 ? 4 : 3, 3, i, i); });
  Tops tops2;
  auto layer2 = MakeLayer(DataParam(dir / "db2", 2), &tops2);
  const std::string msg2 = ErrorOf([&] { layer2->Forward({}, tops2.vec()); });
  EXPECT_NE(msg2.find(dir / "db2"), std::string::npos) << msg2;
  EXPECT_NE(msg2.find("1 x 4 x 3"), std::string::npos) << msg2;
  EXPECT_NE(msg2.find("1 x 3 x 3"), std::string::npos) << msg2;

  // A crop larger than the records fails at setup.
  Tops tops3;
  const std::string msg3 = ErrorOf(
      [&] { MakeLayer(DataParam(dir / "db2", 2, "transform_param { crop_size: 5 }"), &tops3); });
  EXPECT_NE(msg3.find("'mnist'"), std::string::npos) << msg3;
  EXPECT_NE(msg3.find(dir / "db2"), std::string::npos) << msg3;
  EXPECT_NE(msg3.find("crop_size 5"), std::string::npos) << msg3;
}

TEST(DataLayerTest, WrongMeanShapeNamesLayerAndFile) {
  ScratchDir dir;
  WriteTen(dir / "db");
  Blob mean(1, 1, 4, 4);
  BlobProto proto;
  mean.ToProto(&proto);
  const std::string mean_path = dir / "mean.binaryproto";
  WriteProtoToBinaryFile(proto, mean_path);
  Tops tops;
  const std::string msg = ErrorOf([&] {
    MakeLayer(DataParam(dir / "db", 2, "transform_param { mean_file: '" + mean_path + "' }"),
              &tops);
  });
  EXPECT_NE(msg.find("'mnist'"), std::string::npos) << msg;
  EXPECT_NE(msg.find(mean_path), std::string::npos) << msg;
  EXPECT_NE(msg.find("1 x 1 x 4 x 4"), std::string::npos) << msg;

  // A mean file that does not exist.
  Tops tops2;
  const std::string missing = dir / "no_mean.binaryproto";
  const std::string msg2 = ErrorOf([&] {
    MakeLayer(DataParam(dir / "db", 2, "transform_param { mean_file: '" + missing + "' }"),
              &tops2);
  });
  EXPECT_NE(msg2.find("'mnist'"), std::string::npos) << msg2;
  EXPECT_NE(msg2.find(missing), std::string::npos) << msg2;
}

TEST(ImageDataLayerTest, ReadsListInOrderAndShuffles) {
  ScratchDir dir;
  std::ofstream list(dir / "list.txt");
  for (int i = 0; i < 5; ++i) {
    const std::string name = "img" + std::to_string(i) + ".png";
    ASSERT_TRUE(cv::imwrite(dir / name, cv::Mat(4, 6, CV_8UC1, cv::Scalar(i * 10))));
    list << name << " " << i << "\n";
  }
  list.close();
  const std::string base = "name: 'images' type: 'ImageData' image_data_param { source: '" +
                           (dir / "list.txt") + "' root_folder: '" + dir.path() +
                           "/' batch_size: 5 is_color: false new_height: 2 new_width: 3 ";
  Tops tops;
  auto layer = MakeLayer(base + "}", &tops);
  EXPECT_EQ(tops.data.shape(), (std::vector<int>{5, 1, 2, 3}));
  for (int epoch = 0; epoch < 2; ++epoch) {
    layer->Forward({}, tops.vec());
    for (int n = 0; n < 5; ++n) {
      EXPECT_EQ(tops.label.cpu_data()[n], n);
      EXPECT_EQ(tops.data.data_at(n, 0, 1, 2), n * 10.f);
    }
  }
  Tops shuffled;
  auto shuffler = MakeLayer(base + "shuffle: true }", &shuffled);
  const std::string state = dynamic_cast<StatefulLayer*>(shuffler.get())->SaveState();
  std::vector<std::vector<float>> epochs;
  for (int epoch = 0; epoch < 3; ++epoch) {
    shuffler->Forward({}, shuffled.vec());
    std::vector<float> labels(shuffled.label.cpu_data(), shuffled.label.cpu_data() + 5);
    for (int n = 0; n < 5; ++n) EXPECT_EQ(shuffled.data.data_at(n, 0, 0, 0), labels[n] * 10);
    std::vector<float> sorted = labels;
    std::sort(sorted.begin(), sorted.end());
    EXPECT_EQ(sorted, (std::vector<float>{0, 1, 2, 3, 4}));  // a permutation
    epochs.push_back(labels);
  }
  dynamic_cast<StatefulLayer*>(shuffler.get())->RestoreState(state);
  for (int epoch = 0; epoch < 3; ++epoch) {
    shuffler->Forward({}, shuffled.vec());
    EXPECT_EQ(std::vector<float>(shuffled.label.cpu_data(), shuffled.label.cpu_data() + 5),
              epochs[epoch]);
  }

  Tops bad;
  std::ofstream(dir / "bad.txt") << "missing.png 0\n";
  const std::string msg = ErrorOf([&] {
    MakeLayer("name: 'images' type: 'ImageData' image_data_param { source: '" +
                  (dir / "bad.txt") + "' }",
              &bad);
  });
  EXPECT_NE(msg.find("missing.png"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'images'"), std::string::npos) << msg;
}

TEST(MemoryDataLayerTest, ResetAndMatVector) {
  Tops tops;
  auto layer = MakeLayer(
      "name: 'mem' type: 'MemoryData' memory_data_param { batch_size: 2 channels: 1 "
      "height: 2 width: 2 }",
      &tops);
  auto* memory = dynamic_cast<MemoryDataLayer*>(layer.get());
  ASSERT_NE(memory, nullptr);
  EXPECT_THROW(layer->Forward({}, tops.vec()), Error);
  std::vector<float> data(16), labels{0, 1, 2, 3};
  for (int i = 0; i < 16; ++i) data[i] = static_cast<float>(i);
  EXPECT_THROW(memory->Reset(data.data(), labels.data(), 3), Error);
  memory->Reset(data.data(), labels.data(), 4);
  layer->Forward({}, tops.vec());
  EXPECT_EQ(tops.data.cpu_data()[7], 7.f);
  layer->Forward({}, tops.vec());
  EXPECT_EQ(tops.data.cpu_data()[0], 8.f);
  EXPECT_EQ(tops.label.cpu_data()[1], 3.f);
  layer->Forward({}, tops.vec());  // wraps
  EXPECT_EQ(tops.label.cpu_data()[0], 0.f);

  std::vector<cv::Mat> images{cv::Mat(2, 2, CV_8UC1, cv::Scalar(5)),
                              cv::Mat(2, 2, CV_8UC1, cv::Scalar(6))};
  memory->AddMatVector(images, {7, 8});
  layer->Forward({}, tops.vec());
  EXPECT_EQ(tops.data.cpu_data()[4], 6.f);
  EXPECT_EQ(tops.label.cpu_data()[1], 8.f);
}

TEST(DummyDataLayerTest, ShapesAndFillers) {
  Blob a, b;
  auto layer = LayerRegistry::Create(ParseText<LayerParameter>(
      "name: 'dummy' type: 'DummyData' dummy_data_param { "
      "shape { dim: 2 dim: 3 } shape { dim: 4 } "
      "data_filler { type: 'constant' value: 1.5 } data_filler { type: 'uniform' min: 2 max: 3 } }"));
  layer->SetUp({}, {&a, &b});
  EXPECT_EQ(a.shape(), (std::vector<int>{2, 3}));
  EXPECT_EQ(b.shape(), (std::vector<int>{4}));
  layer->Forward({}, {&a, &b});
  EXPECT_EQ(a.cpu_data()[5], 1.5f);
  const float first = b.cpu_data()[0];
  EXPECT_GE(first, 2.f);
  EXPECT_LE(first, 3.f);
  layer->Forward({}, {&a, &b});
  EXPECT_NE(b.cpu_data()[0], first);  // refilled

  Blob legacy;
  auto old = LayerRegistry::Create(ParseText<LayerParameter>(
      "name: 'd' type: 'DummyData' dummy_data_param { num: 2 channels: 3 height: 4 width: 5 }"));
  old->SetUp({}, {&legacy});
  EXPECT_EQ(legacy.shape(), (std::vector<int>{2, 3, 4, 5}));
  EXPECT_EQ(legacy.asum_data(), 0.f);

  Blob c;
  auto bad = LayerRegistry::Create(ParseText<LayerParameter>(
      "name: 'd' type: 'DummyData' dummy_data_param { num: 2 shape { dim: 1 } }"));
  EXPECT_THROW(bad->SetUp({}, {&c}), Error);
}

}  // namespace
}  // namespace crema
