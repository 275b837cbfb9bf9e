#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>

#include "crema/blob.hpp"
#include "crema/layer_registry.hpp"
#include "support/test_util.hpp"

namespace crema {
namespace {

// The message of the crema::Error that f throws; fails the test otherwise.
std::string ErrorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected a crema::Error";
  return "";
}

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(BlobTest, ShapeCountAndAxes) {
  Blob blob(2, 3, 4, 5);
  EXPECT_EQ(120, blob.count());
  EXPECT_EQ(4, blob.num_axes());
  EXPECT_EQ(60, blob.count(1));
  EXPECT_EQ(12, blob.count(1, 3));
  EXPECT_EQ(5, blob.shape(-1));
  EXPECT_EQ(3, blob.CanonicalAxisIndex(-1));
  EXPECT_THROW(blob.CanonicalAxisIndex(4), Error);
  EXPECT_THROW(blob.CanonicalAxisIndex(-5), Error);
  EXPECT_EQ(2, blob.num());
  EXPECT_EQ(5, blob.width());
  EXPECT_EQ(blob.offset(1, 2, 3, 4), 119);
  EXPECT_EQ(blob.offset({1, 2}), (1 * 3 + 2) * 20);
}

TEST(BlobTest, LegacyAccessorsPadMissingAxes) {
  Blob blob(std::vector<int>{7, 3});
  EXPECT_EQ(7, blob.num());
  EXPECT_EQ(3, blob.channels());
  EXPECT_EQ(1, blob.height());
  EXPECT_EQ(1, blob.width());
}

TEST(BlobTest, UnshapedBlobValuesAreAnError) {
  Blob blob;
  EXPECT_THROW(blob.cpu_data(), Error);
  EXPECT_THROW(blob.mutable_cpu_diff(), Error);
}

TEST(BlobTest, LimitsAreErrors) {
  Blob blob;
  EXPECT_THROW(blob.Reshape(std::vector<int>(33, 1)), Error);
  EXPECT_THROW(blob.Reshape({1 << 16, 1 << 16}), Error);
  EXPECT_THROW(blob.Reshape({2, -1}), Error);
}

TEST(BlobTest, ReshapeReallocatesOnlyWhenGrowing) {
  Blob blob({4, 5});
  const float* before = blob.cpu_data();
  blob.Reshape({2, 5});
  EXPECT_EQ(before, blob.cpu_data());
  blob.Reshape({5, 4});
  EXPECT_EQ(before, blob.cpu_data());
  blob.Reshape({5, 5});
  EXPECT_NE(before, blob.cpu_data());
}

TEST(BlobTest, MemoryIsAlignedAndZeroed) {
  Blob blob({3, 7});
  EXPECT_EQ(0u, reinterpret_cast<uintptr_t>(blob.cpu_data()) % 64);
  for (int i = 0; i < blob.count(); ++i) EXPECT_EQ(0.f, blob.cpu_data()[i]);
}

TEST(BlobTest, UpdateAndNorms) {
  Blob blob({3});
  float* data = blob.mutable_cpu_data();
  float* diff = blob.mutable_cpu_diff();
  data[0] = 1; data[1] = -2; data[2] = 3;
  diff[0] = 0.5; diff[1] = 0.5; diff[2] = -1;
  EXPECT_FLOAT_EQ(6, blob.asum_data());
  EXPECT_FLOAT_EQ(14, blob.sumsq_data());
  EXPECT_FLOAT_EQ(2, blob.asum_diff());
  blob.Update();
  EXPECT_FLOAT_EQ(0.5, blob.cpu_data()[0]);
  EXPECT_FLOAT_EQ(-2.5, blob.cpu_data()[1]);
  EXPECT_FLOAT_EQ(4, blob.cpu_data()[2]);
  blob.scale_data(2);
  EXPECT_FLOAT_EQ(8, blob.cpu_data()[2]);
}

TEST(BlobTest, ShareDataAndDiff) {
  Blob a({2, 2}), b({4});
  b.ShareData(a);
  a.mutable_cpu_data()[3] = 9;
  EXPECT_EQ(9, b.cpu_data()[3]);
  b.ShareDiff(a);
  b.mutable_cpu_diff()[1] = 4;
  EXPECT_EQ(4, a.cpu_diff()[1]);
}

TEST(BlobTest, ProtoRoundTripCurrentShape) {
  Blob blob({2, 3});
  testing::FillGaussian(&blob);
  testing::FillGaussian(&blob);
  for (int i = 0; i < 6; ++i) blob.mutable_cpu_diff()[i] = i;
  BlobProto proto;
  blob.ToProto(&proto, true);
  EXPECT_EQ(2, proto.shape().dim_size());
  EXPECT_FALSE(proto.has_num());
  Blob copy;
  copy.FromProto(proto);
  EXPECT_EQ(blob.shape(), copy.shape());
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(blob.cpu_data()[i], copy.cpu_data()[i]);
    EXPECT_EQ(blob.cpu_diff()[i], copy.cpu_diff()[i]);
  }
}

TEST(BlobTest, ProtoLegacyShapeAndDoubleData) {
  BlobProto proto;
  proto.set_num(1);
  proto.set_channels(2);
  proto.set_height(1);
  proto.set_width(3);
  for (int i = 0; i < 6; ++i) proto.add_double_data(i * 0.25);
  Blob blob;
  blob.FromProto(proto);
  EXPECT_EQ(std::vector<int>({1, 2, 1, 3}), blob.shape());
  EXPECT_FLOAT_EQ(1.25f, blob.cpu_data()[5]);
  // A 2-D blob matches a legacy 1 x 1 x H x W proto.
  Blob fc({4, 5});
  BlobProto legacy;
  legacy.set_num(1);
  legacy.set_channels(1);
  legacy.set_height(4);
  legacy.set_width(5);
  EXPECT_TRUE(fc.ShapeEquals(legacy));
  legacy.set_height(5);
  EXPECT_FALSE(fc.ShapeEquals(legacy));
  EXPECT_THROW(fc.FromProto(legacy, false), Error);
}

TEST(BlobTest, ProtoWithWrongValueCountIsAnError) {
  BlobProto proto;
  proto.mutable_shape()->add_dim(4);
  proto.add_data(1);
  Blob blob;
  EXPECT_THROW(blob.FromProto(proto), Error);
}

TEST(BlobTest, ProtoWithShapeButNoValuesIsAnError) {
  BlobProto proto;
  proto.mutable_shape()->add_dim(2);
  proto.mutable_shape()->add_dim(3);
  Blob blob;
  try {
    blob.FromProto(proto);
    FAIL() << "a 2 x 3 proto without values was accepted";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("2 x 3"), std::string::npos) << what;
    EXPECT_NE(what.find("no data"), std::string::npos) << what;
  }
  Blob same({2, 3});
  EXPECT_THROW(same.FromProto(proto, false), Error);
  // Legacy shape fields count too.
  BlobProto legacy;
  legacy.set_num(1);
  legacy.set_channels(1);
  legacy.set_height(2);
  legacy.set_width(2);
  EXPECT_THROW(blob.FromProto(legacy), Error);
  // A proto whose count is 0 needs no values.
  BlobProto empty;
  empty.mutable_shape()->add_dim(0);
  empty.mutable_shape()->add_dim(3);
  EXPECT_NO_THROW(blob.FromProto(empty));
  EXPECT_EQ(0, blob.count());
  EXPECT_NO_THROW(blob.FromProto(BlobProto()));
}

TEST(BlobTest, CopyFromChecksCount) {
  Blob a({2, 3}), b({5});
  EXPECT_THROW(b.CopyFrom(a), Error);
  b.CopyFrom(a, false, true);
  EXPECT_EQ(a.shape(), b.shape());
}

TEST(BlobTest, MisuseIsAnErrorNamingTheShapes) {
  Blob blob;
  std::string what = ErrorOf([&] { blob.Reshape({2, -1}); });
  EXPECT_TRUE(Contains(what, "2 x -1")) << what;
  BlobShape proto_shape;
  proto_shape.add_dim(3);
  proto_shape.add_dim(-2);
  what = ErrorOf([&] { blob.Reshape(proto_shape); });
  EXPECT_TRUE(Contains(what, "dimension 1 is -2")) << what;

  Blob a({2, 3}), b({5});
  what = ErrorOf([&] { b.CopyFrom(a); });
  EXPECT_TRUE(Contains(what, "2 x 3 (6)") && Contains(what, "5 (5)")) << what;
  what = ErrorOf([&] { b.ShareData(a); });
  EXPECT_TRUE(Contains(what, "2 x 3 (6)") && Contains(what, "share the data")) << what;
  what = ErrorOf([&] { b.ShareDiff(a); });
  EXPECT_TRUE(Contains(what, "share the diff")) << what;
  what = ErrorOf([&] { a.SetDataBuffer(std::make_shared<SyncedMemory>(8)); });
  EXPECT_TRUE(Contains(what, "24 bytes") && Contains(what, "got 8 bytes")) << what;
  what = ErrorOf([&] { a.SetDataBuffer(nullptr); });
  EXPECT_TRUE(Contains(what, "got none")) << what;

  what = ErrorOf([&] { a.count(1, 3); });
  EXPECT_TRUE(Contains(what, "[1, 3)") && Contains(what, "2 x 3")) << what;
  EXPECT_THROW(a.count(2, 1), Error);
  EXPECT_THROW(a.count(-1), Error);
}

TEST(BlobTest, OffsetsOutOfRangeAreErrors) {
  Blob blob(2, 3, 4, 5);
  // One past the end of an axis is a valid offset (end pointers).
  EXPECT_EQ(blob.count(), blob.offset(2));
  EXPECT_EQ(blob.count(), blob.offset({2}));
  std::string what = ErrorOf([&] { blob.offset(0, 4); });
  EXPECT_TRUE(Contains(what, "Index 4 on axis 1") && Contains(what, "[0, 3]")) << what;
  EXPECT_THROW(blob.offset(3), Error);
  EXPECT_THROW(blob.offset(0, 0, -1), Error);
  EXPECT_THROW(blob.offset(0, 0, 0, 6), Error);
  EXPECT_THROW(blob.offset({0, 0, 5}), Error);
  what = ErrorOf([&] { blob.offset({0, 0, 0, 0, 0}); });
  EXPECT_TRUE(Contains(what, "at most 4 indices, got 5")) << what;
}

}  // namespace
}  // namespace crema
