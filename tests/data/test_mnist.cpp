#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "crema/common.hpp"
#include "crema/data/db.hpp"
#include "crema/data/mnist.hpp"
#include "crema/io/proto_io.hpp"
#include "crema/proto/crema.pb.h"
#include "data/data_test_util.hpp"

namespace crema {
namespace {

namespace fs = std::filesystem;
using testing::ScratchDir;

void PutBigEndian(uint32_t value, std::string* out) {
  for (int shift = 24; shift >= 0; shift -= 8) {
    out->push_back(static_cast<char>((value >> shift) & 0xff));
  }
}

// An idx3 image file: n images of rows x cols, pixel k of image i = i * 10 + k.
std::string ImageBytes(uint32_t n, uint32_t rows, uint32_t cols, uint32_t magic = 2051) {
  std::string bytes;
  PutBigEndian(magic, &bytes);
  PutBigEndian(n, &bytes);
  PutBigEndian(rows, &bytes);
  PutBigEndian(cols, &bytes);
  for (uint32_t i = 0; i < n; ++i) {
    for (uint32_t k = 0; k < rows * cols; ++k) bytes.push_back(static_cast<char>(i * 10 + k));
  }
  return bytes;
}

// An idx1 label file holding `labels`.
std::string LabelBytes(const std::vector<uint8_t>& labels, uint32_t magic = 2049) {
  std::string bytes;
  PutBigEndian(magic, &bytes);
  PutBigEndian(static_cast<uint32_t>(labels.size()), &bytes);
  for (uint8_t label : labels) bytes.push_back(static_cast<char>(label));
  return bytes;
}

void WritePlain(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

void WriteGzip(const std::string& path, const std::string& bytes) {
  gzFile file = gzopen(path.c_str(), "wb");
  ASSERT_NE(file, nullptr);
  ASSERT_EQ(gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size())),
            static_cast<int>(bytes.size()));
  ASSERT_EQ(gzclose(file), Z_OK);
}

struct Record {
  std::string key;
  Datum datum;
};

std::vector<Record> ReadAll(const std::string& db_path) {
  auto db = db::OpenDB("lmdb", db_path, db::Mode::READ);
  auto cursor = db->NewCursor();
  std::vector<Record> records;
  for (int64_t i = 0; i < db->Count(); ++i, cursor->Next()) {
    records.push_back({cursor->key(), Datum()});
    EXPECT_TRUE(records.back().datum.ParseFromString(cursor->value()));
  }
  return records;
}

void ExpectConverted(const std::string& db_path) {
  const std::vector<Record> records = ReadAll(db_path);
  ASSERT_EQ(records.size(), 3u);
  const std::vector<int> labels = {7, 0, 9};
  for (int i = 0; i < 3; ++i) {
    const Datum& d = records[i].datum;
    char key[16];
    std::snprintf(key, sizeof(key), "%08d", i);
    EXPECT_EQ(records[i].key, key);
    EXPECT_EQ(d.label(), labels[i]);
    EXPECT_EQ(d.channels(), 1);
    EXPECT_EQ(d.height(), 2);
    EXPECT_EQ(d.width(), 3);
    EXPECT_FALSE(d.encoded());
    EXPECT_EQ(d.float_data_size(), 0);
    ASSERT_EQ(d.data().size(), 6u);
    for (int k = 0; k < 6; ++k) {
      EXPECT_EQ(static_cast<uint8_t>(d.data()[k]), i * 10 + k) << "image " << i << " pixel " << k;
    }
  }
}

TEST(MnistTest, ConvertsPlainAndGzippedFiles) {
  ScratchDir dir;
  const std::string images = ImageBytes(3, 2, 3);
  const std::string labels = LabelBytes({7, 0, 9});
  WritePlain(dir / "images-idx3-ubyte", images);
  WritePlain(dir / "labels-idx1-ubyte", labels);
  EXPECT_EQ(ConvertMnist(dir / "images-idx3-ubyte", dir / "labels-idx1-ubyte", dir / "plain"),
            3);
  ExpectConverted(dir / "plain");

  WriteGzip(dir / "images-idx3-ubyte.gz", images);
  WriteGzip(dir / "labels-idx1-ubyte.gz", labels);
  ASSERT_NE(ReadFileToString(dir / "images-idx3-ubyte.gz").substr(0, 2), images.substr(0, 2));
  EXPECT_EQ(
      ConvertMnist(dir / "images-idx3-ubyte.gz", dir / "labels-idx1-ubyte.gz", dir / "gz"), 3);
  ExpectConverted(dir / "gz");
}

std::string ErrorOf(const std::string& images, const std::string& labels,
                    const std::string& db_path) {
  try {
    ConvertMnist(images, labels, db_path);
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected an error converting " << images << " and " << labels;
  return "";
}

TEST(MnistTest, BadMagicNumber) {
  ScratchDir dir;
  WritePlain(dir / "images", ImageBytes(2, 2, 2));
  WritePlain(dir / "labels", LabelBytes({1, 2}));
  // Files swapped: the image file's magic is checked first.
  std::string msg = ErrorOf(dir / "labels", dir / "images", dir / "db1");
  EXPECT_NE(msg.find(dir / "labels"), std::string::npos) << msg;
  EXPECT_NE(msg.find("2051"), std::string::npos) << msg;
  WritePlain(dir / "bad_labels", LabelBytes({1, 2}, 2051));
  msg = ErrorOf(dir / "images", dir / "bad_labels", dir / "db2");
  EXPECT_NE(msg.find(dir / "bad_labels"), std::string::npos) << msg;
  EXPECT_NE(msg.find("2049"), std::string::npos) << msg;
}

TEST(MnistTest, CountMismatch) {
  ScratchDir dir;
  WritePlain(dir / "images", ImageBytes(3, 2, 2));
  WriteGzip(dir / "labels.gz", LabelBytes({1, 2}));
  const std::string msg = ErrorOf(dir / "images", dir / "labels.gz", dir / "db");
  EXPECT_NE(msg.find("3 images"), std::string::npos) << msg;
  EXPECT_NE(msg.find("2 labels"), std::string::npos) << msg;
  EXPECT_NE(msg.find(dir / "labels.gz"), std::string::npos) << msg;
}

TEST(MnistTest, TruncatedFiles) {
  ScratchDir dir;
  const std::string images = ImageBytes(3, 2, 2);
  WritePlain(dir / "labels", LabelBytes({1, 2, 3}));
  // Cut inside the last image's pixels.
  WritePlain(dir / "images_cut", images.substr(0, images.size() - 2));
  std::string msg = ErrorOf(dir / "images_cut", dir / "labels", dir / "db1");
  EXPECT_NE(msg.find(dir / "images_cut"), std::string::npos) << msg;
  EXPECT_NE(msg.find("truncated"), std::string::npos) << msg;
  // Cut inside the header, gzipped.
  WriteGzip(dir / "images_header.gz", images.substr(0, 10));
  msg = ErrorOf(dir / "images_header.gz", dir / "labels", dir / "db2");
  EXPECT_NE(msg.find(dir / "images_header.gz"), std::string::npos) << msg;
  EXPECT_NE(msg.find("truncated"), std::string::npos) << msg;
  // Labels short of the count they announce.
  WritePlain(dir / "images", images);
  const std::string labels = LabelBytes({1, 2, 3});
  WritePlain(dir / "labels_cut", labels.substr(0, labels.size() - 1));
  msg = ErrorOf(dir / "images", dir / "labels_cut", dir / "db3");
  EXPECT_NE(msg.find(dir / "labels_cut"), std::string::npos) << msg;
  // A missing file.
  msg = ErrorOf(dir / "none", dir / "labels", dir / "db4");
  EXPECT_NE(msg.find(dir / "none"), std::string::npos) << msg;
}

TEST(MnistTest, ToolFailsCleanly) {
  const std::string tool = std::string(CREMA_BINARY_DIR) + "/tools/convert_mnist";
  if (!fs::exists(tool)) GTEST_SKIP() << "tools not built";
  ScratchDir dir;
  WriteGzip(dir / "images.gz", ImageBytes(2, 2, 2));
  WriteGzip(dir / "labels.gz", LabelBytes({4, 5}));
  const std::string out = dir / "out.txt";
  int rc = std::system((tool + " " + (dir / "images.gz") + " " + (dir / "labels.gz") + " " +
                        (dir / "db") + " > " + out + " 2>&1")
                           .c_str());
  EXPECT_EQ(rc, 0) << ReadFileToString(out);
  EXPECT_EQ(ReadAll(dir / "db").size(), 2u);
  rc = std::system((tool + " " + (dir / "labels.gz") + " " + (dir / "images.gz") + " " +
                    (dir / "db2") + " > " + out + " 2>&1")
                       .c_str());
  EXPECT_NE(rc, 0);
  EXPECT_NE(ReadFileToString(out).find("magic number 2051"), std::string::npos)
      << ReadFileToString(out);
}

}  // namespace
}  // namespace crema
