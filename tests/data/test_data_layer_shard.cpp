// Data layer sharding (data-parallel training): readers with distinct shard
// indices split the records of one reader with a larger batch.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "crema/layer_registry.hpp"
#include "crema/layers/data_layer.hpp"
#include "data/data_test_util.hpp"
#include "support/test_util.hpp"

namespace crema {
namespace {

using testing::MakeDatum;
using testing::ParseText;
using testing::ScratchDir;
using testing::WriteDatumDB;

struct Reader {
  Blob data, label;
  std::shared_ptr<Layer> layer;
  DataLayer* data_layer() { return dynamic_cast<DataLayer*>(layer.get()); }
  std::vector<int> Next() {
    layer->Forward({}, {&data, &label});
    std::vector<int> labels;
    for (int i = 0; i < label.count(); ++i) labels.push_back(static_cast<int>(label.cpu_data()[i]));
    return labels;
  }
};

std::unique_ptr<Reader> Open(const std::string& source, int batch) {
  auto reader = std::make_unique<Reader>();
  reader->layer = LayerRegistry::Create(ParseText<LayerParameter>(
      "name: 'd' type: 'Data' phase: TRAIN data_param { source: '" + source +
      "' batch_size: " + std::to_string(batch) + " backend: LMDB prefetch: 3 }"));
  reader->layer->SetUp({}, {&reader->data, &reader->label});
  return reader;
}

// 11 records (not a multiple of any batch here, so epochs wrap mid-batch).
void WriteEleven(const std::string& path) {
  WriteDatumDB(path, 11, [](int i) { return MakeDatum(1, 2, 2, i, i); });
}

TEST(DataLayerShardTest, ShardsTogetherReadWhatOneLargerBatchReads) {
  ScratchDir dir;
  WriteEleven(dir / "db");
  auto whole = Open(dir / "db", 6);
  std::vector<std::unique_ptr<Reader>> shards;
  for (int r = 0; r < 3; ++r) {
    shards.push_back(Open(dir / "db", 2));
    shards.back()->data_layer()->SetShard(r, 3);
    EXPECT_EQ(shards.back()->data_layer()->shard_index(), r);
    EXPECT_EQ(shards.back()->data_layer()->shard_count(), 3);
  }
  for (int iter = 0; iter < 7; ++iter) {
    std::vector<int> joined;
    for (auto& shard : shards) {
      const std::vector<int> part = shard->Next();
      joined.insert(joined.end(), part.begin(), part.end());
    }
    ASSERT_EQ(joined, whole->Next()) << "at batch " << iter;
  }
}

TEST(DataLayerShardTest, StateIsTheSharedPositionAndRestoresPerShard) {
  ScratchDir dir;
  WriteEleven(dir / "db");
  auto first = Open(dir / "db", 2);
  auto second = Open(dir / "db", 2);
  first->data_layer()->SetShard(0, 2);
  second->data_layer()->SetShard(1, 2);
  first->Next();
  second->Next();
  // Both readers report the start of the next round of 2 x 2 records.
  const std::string state = dynamic_cast<StatefulLayer*>(first->layer.get())->SaveState();
  const std::vector<int> expect_first = first->Next();
  const std::vector<int> expect_second = second->Next();
  EXPECT_EQ(expect_first, (std::vector<int>{4, 5}));
  EXPECT_EQ(expect_second, (std::vector<int>{6, 7}));

  // A fresh shard 1 restored from shard 0's state continues as shard 1.
  auto resumed = Open(dir / "db", 2);
  resumed->data_layer()->SetShard(1, 2);
  dynamic_cast<StatefulLayer*>(resumed->layer.get())->RestoreState(state);
  EXPECT_EQ(resumed->Next(), expect_second);
  EXPECT_EQ(resumed->Next(), (std::vector<int>{10, 0}));
}

TEST(DataLayerShardTest, RejectsShardOutOfRange) {
  ScratchDir dir;
  WriteEleven(dir / "db");
  auto reader = Open(dir / "db", 2);
  EXPECT_THROW(reader->data_layer()->SetShard(2, 2), Error);
  EXPECT_THROW(reader->data_layer()->SetShard(0, 0), Error);
  EXPECT_EQ(reader->Next(), (std::vector<int>{0, 1}));  // still reads
}

}  // namespace
}  // namespace crema
