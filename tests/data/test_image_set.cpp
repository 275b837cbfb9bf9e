#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>

#include <filesystem>
#include <fstream>

#include "crema/common.hpp"
#include "crema/data/datum.hpp"
#include "crema/data/image_mean.hpp"
#include "crema/data/image_set.hpp"
#include "crema/io/proto_io.hpp"
#include "data/data_test_util.hpp"

namespace crema {
namespace {

namespace fs = std::filesystem;
using testing::ScratchDir;

void WriteImage(const std::string& path, int value, int rows = 6, int cols = 5) {
  fs::create_directories(fs::path(path).parent_path());
  ASSERT_TRUE(cv::imwrite(path, cv::Mat(rows, cols, CV_8UC3, cv::Scalar(value, value, value))));
}

// key -> (label, first pixel)
std::vector<std::tuple<std::string, int, int>> ReadBack(const std::string& db_path) {
  auto db = db::OpenDB("lmdb", db_path, db::Mode::READ);
  auto cursor = db->NewCursor();
  std::vector<std::tuple<std::string, int, int>> records;
  for (int64_t i = 0; i < db->Count(); ++i, cursor->Next()) {
    Datum datum;
    EXPECT_TRUE(datum.ParseFromString(cursor->value()));
    DecodeDatumNative(&datum);
    records.emplace_back(cursor->key(), datum.label(),
                         static_cast<uint8_t>(datum.data()[0]));
  }
  return records;
}

// A class-per-folder tree: cat (2 images + a corrupt one), dog (1 image + a
// text file), and a hidden file that is ignored.
std::string MakeTree(const ScratchDir& dir) {
  const std::string root = dir / "images";
  WriteImage(root + "/cat/a.png", 10);
  WriteImage(root + "/cat/b.jpg", 20);
  WriteImage(root + "/dog/sub/c.png", 30);
  {
    std::ifstream in(root + "/cat/a.png", std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), {});
    std::ofstream(root + "/cat/broken.png", std::ios::binary) << bytes.substr(0, 40);
  }
  std::ofstream(root + "/dog/notes.txt") << "not an image";
  std::ofstream(root + "/dog/.DS_Store") << "x";
  return root;
}

TEST(ImageSetTest, FolderModeSkipsBadFilesAndWritesLabels) {
  ScratchDir dir;
  const std::string root = MakeTree(dir);
  const std::string db_path = dir / "train_lmdb";
  ConvertOptions options;
  options.gray = true;
  int progress_calls = 0;
  options.progress = [&](const ConvertProgress& p) {
    ++progress_calls;
    EXPECT_EQ(p.total, 5u);
  };
  const ConvertResult result = ConvertImageFolder(root, db_path, options);
  EXPECT_EQ(result.written, 3u);
  ASSERT_EQ(result.skipped.size(), 2u);
  EXPECT_NE(result.skipped[0].find("cat/broken.png"), std::string::npos);
  EXPECT_NE(result.skipped[1].find("dog/notes.txt"), std::string::npos);
  EXPECT_GE(progress_calls, 1);
  EXPECT_EQ(result.class_names, (std::vector<std::string>{"cat", "dog"}));
  EXPECT_EQ(result.labels_file, db_path + "/labels.txt");
  EXPECT_EQ(ReadFileToString(db_path + "/labels.txt"), "cat\ndog\n");

  const auto records = ReadBack(db_path);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0], std::make_tuple(std::string("00000000_cat/a.png"), 0, 10));
  EXPECT_EQ(std::get<1>(records[1]), 0);
  EXPECT_NEAR(std::get<2>(records[1]), 20, 2);  // JPEG
  EXPECT_EQ(records[2], std::make_tuple(std::string("00000004_dog/sub/c.png"), 1, 30));

  // The mean of the three gray images.
  std::vector<float> channel_means;
  const BlobProto mean = ComputeImageMean(db_path, "lmdb", &channel_means);
  EXPECT_EQ(mean.channels(), 1);
  EXPECT_EQ(mean.height(), 6);
  EXPECT_EQ(mean.width(), 5);
  ASSERT_EQ(channel_means.size(), 1u);
  EXPECT_NEAR(channel_means[0], 20.f, 1.f);
}

TEST(ImageSetTest, ListModeAsCaffe) {
  ScratchDir dir;
  const std::string root = MakeTree(dir);
  std::ofstream(dir / "list.txt") << "dog/sub/c.png 5\ncat/a.png 3\n\ncat/broken.png 1\n";
  ConvertOptions options;
  options.encoded = true;
  options.encode_type = "png";
  const ConvertResult result =
      ConvertImageList(root + "/", dir / "list.txt", dir / "db", options);
  EXPECT_EQ(result.written, 2u);
  EXPECT_EQ(result.skipped.size(), 1u);
  EXPECT_TRUE(result.labels_file.empty());
  const auto records = ReadBack(dir / "db");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0], std::make_tuple(std::string("00000000_dog/sub/c.png"), 5, 30));
  EXPECT_EQ(records[1], std::make_tuple(std::string("00000001_cat/a.png"), 3, 10));
}

TEST(ImageSetTest, ResizeAndCheckSize) {
  ScratchDir dir;
  const std::string root = dir / "images";
  WriteImage(root + "/a/1.png", 1, 6, 5);
  WriteImage(root + "/a/2.png", 2, 8, 8);
  ConvertOptions options;
  options.check_size = true;
  ConvertResult result = ConvertImageFolder(root, dir / "db1", options);
  EXPECT_EQ(result.written, 1u);
  EXPECT_EQ(result.skipped.size(), 1u);
  options.resize_width = 4;
  options.resize_height = 3;
  result = ConvertImageFolder(root, dir / "db2", options);
  EXPECT_EQ(result.written, 2u);
  auto db = db::OpenDB("lmdb", dir / "db2", db::Mode::READ);
  Datum datum;
  datum.ParseFromString(db->NewCursor()->value());
  EXPECT_EQ(datum.channels(), 3);
  EXPECT_EQ(datum.height(), 3);
  EXPECT_EQ(datum.width(), 4);
}

// The raw stored datum (not decoded) of every record, in key order.
std::vector<Datum> ReadRaw(const std::string& db_path) {
  auto db = db::OpenDB("lmdb", db_path, db::Mode::READ);
  auto cursor = db->NewCursor();
  std::vector<Datum> datums;
  for (int64_t i = 0; i < db->Count(); ++i, cursor->Next()) {
    datums.emplace_back();
    EXPECT_TRUE(datums.back().ParseFromString(cursor->value()));
  }
  return datums;
}

void WriteNoiseImage(const std::string& path, int rows, int cols, int seed) {
  fs::create_directories(fs::path(path).parent_path());
  cv::Mat image(rows, cols, CV_8UC3);
  cv::theRNG().state = seed;
  cv::randu(image, cv::Scalar::all(0), cv::Scalar::all(256));
  ASSERT_TRUE(cv::imwrite(path, image));
}

TEST(ImageSetTest, EncodeTypeImpliesEncoded) {
  ScratchDir dir;
  const std::string root = dir / "images";
  WriteImage(root + "/a/1.png", 40);
  WriteImage(root + "/b/2.jpg", 90);
  ConvertOptions options;
  options.encode_type = "png";  // encoded left false, as with --encode_type=png alone
  const ConvertResult result = ConvertImageFolder(root, dir / "db", options);
  EXPECT_EQ(result.written, 2u);
  const std::vector<Datum> datums = ReadRaw(dir / "db");
  ASSERT_EQ(datums.size(), 2u);
  for (const Datum& datum : datums) {
    EXPECT_TRUE(datum.encoded());
    // The JPEG is re-encoded: both hold PNG bytes.
    EXPECT_EQ(datum.data().substr(0, 4), "\x89PNG");
  }
  const auto records = ReadBack(dir / "db");
  EXPECT_EQ(std::get<2>(records[0]), 40);
  EXPECT_NEAR(std::get<2>(records[1]), 90, 2);
}

TEST(ImageSetTest, CheckSizeOnEncodedImagesComparesDecodedShape) {
  ScratchDir dir;
  const std::string root = dir / "images";
  // Same shape, different content: different compressed sizes.
  WriteImage(root + "/a/1.png", 7, 6, 5);
  WriteNoiseImage(root + "/a/2.png", 6, 5, 1);
  WriteImage(root + "/a/3.png", 7, 8, 8);
  WriteNoiseImage(root + "/b/4.jpg", 6, 5, 2);
  ConvertOptions options;
  options.check_size = true;
  options.encoded = true;
  ConvertResult result = ConvertImageFolder(root, dir / "db", options);
  EXPECT_EQ(result.written, 3u);
  ASSERT_EQ(result.skipped.size(), 1u);
  EXPECT_NE(result.skipped[0].find("a/3.png"), std::string::npos) << result.skipped[0];
  EXPECT_NE(result.skipped[0].find("3 x 8 x 8"), std::string::npos) << result.skipped[0];
  EXPECT_NE(result.skipped[0].find("3 x 6 x 5"), std::string::npos) << result.skipped[0];
  const std::vector<Datum> datums = ReadRaw(dir / "db");
  ASSERT_EQ(datums.size(), 3u);
  EXPECT_NE(datums[0].data().size(), datums[1].data().size());
  for (const Datum& datum : datums) {
    ASSERT_TRUE(datum.encoded());
    const cv::Mat image = DecodeDatumToCVMatNative(datum);
    EXPECT_EQ(image.rows, 6);
    EXPECT_EQ(image.cols, 5);
  }

  // Gray: the decoded shape is 1 x H x W; a resize makes every image fit.
  options.gray = true;
  options.resize_height = 4;
  options.resize_width = 4;
  result = ConvertImageFolder(root, dir / "db_gray", options);
  EXPECT_EQ(result.written, 4u);
  EXPECT_TRUE(result.skipped.empty());
}

TEST(ImageSetTest, FolderModeWarnsAboutTopLevelFiles) {
  ScratchDir dir;
  const std::string root = MakeTree(dir);
  WriteImage(root + "/stray.png", 50);
  std::ofstream(root + "/README") << "class folders below";
  std::vector<std::string> classes;
  std::vector<std::string> top_level;
  const ImageList images = ListImageFolder(root, &classes, &top_level);
  EXPECT_EQ(images.size(), 5u);
  EXPECT_EQ(top_level, (std::vector<std::string>{"README", "stray.png"}));
  const ConvertResult result = ConvertImageFolder(root, dir / "db", ConvertOptions());
  EXPECT_EQ(result.written, 3u);
  EXPECT_EQ(result.skipped.size(), 2u);
  EXPECT_EQ(result.ignored, (std::vector<std::string>{"README", "stray.png"}));
}

TEST(ImageSetTest, ClearErrors) {
  ScratchDir dir;
  ConvertOptions options;
  EXPECT_THROW(ConvertImageFolder(dir / "missing", dir / "db", options), Error);
  fs::create_directories(dir / "flat");
  EXPECT_THROW(ConvertImageFolder(dir / "flat", dir / "db", options), Error);
  std::ofstream(dir / "empty.txt") << "\n";
  try {
    ConvertImageList(dir.path() + "/", dir / "empty.txt", dir / "db", options);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("empty"), std::string::npos) << e.what();
  }
  std::ofstream(dir / "bad.txt") << "a.png x\n";
  EXPECT_THROW(ReadImageList(dir / "bad.txt"), Error);
  EXPECT_THROW(ReadImageList(dir / "none.txt"), Error);
  std::ofstream(dir / "spaces.txt") << "my file.png 4\n";
  EXPECT_EQ(ReadImageList(dir / "spaces.txt")[0],
            std::make_pair(std::string("my file.png"), 4));
}

TEST(ImageSetTest, ToolRunsAndFailsCleanly) {
  const std::string tool = std::string(CREMA_BINARY_DIR) + "/tools/convert_imageset";
  if (!fs::exists(tool)) GTEST_SKIP() << "tools not built";
  ScratchDir dir;
  const std::string root = MakeTree(dir);
  const std::string out = dir / "out.txt";
  const std::string db_path = dir / "db";
  int rc = std::system((tool + " --gray " + root + " " + db_path + " > " + out + " 2>&1").c_str());
  EXPECT_EQ(rc, 0) << ReadFileToString(out);
  const std::string log = ReadFileToString(out);
  EXPECT_NE(log.find("3 images written"), std::string::npos) << log;
  EXPECT_NE(log.find("2 skipped"), std::string::npos) << log;
  EXPECT_NE(log.find("broken.png"), std::string::npos) << log;
  rc = std::system((tool + " " + (dir / "nope") + " " + (dir / "db2") + " > " + out + " 2>&1").c_str());
  EXPECT_NE(rc, 0);
  EXPECT_NE(ReadFileToString(out).find(dir / "nope"), std::string::npos);
}

TEST(ImageSetTest, ToolEncodeTypeAndTopLevelFiles) {
  const std::string tool = std::string(CREMA_BINARY_DIR) + "/tools/convert_imageset";
  if (!fs::exists(tool)) GTEST_SKIP() << "tools not built";
  ScratchDir dir;
  const std::string root = MakeTree(dir);
  WriteImage(root + "/stray.png", 50);
  const std::string out = dir / "out.txt";
  const std::string db_path = dir / "db";
  const int rc = std::system(
      (tool + " --encode_type=png " + root + " " + db_path + " > " + out + " 2>&1").c_str());
  const std::string log = ReadFileToString(out);
  ASSERT_EQ(rc, 0) << log;
  EXPECT_NE(log.find("encode_type specified, assuming encoded=true."), std::string::npos)
      << log;
  EXPECT_NE(log.find("Ignoring '" + root + "/stray.png'"), std::string::npos) << log;
  EXPECT_NE(log.find("1 files outside the class subfolders ignored"), std::string::npos)
      << log;
  EXPECT_NE(log.find("3 images written"), std::string::npos) << log;
  const std::vector<Datum> datums = ReadRaw(db_path);
  ASSERT_EQ(datums.size(), 3u);
  for (const Datum& datum : datums) EXPECT_TRUE(datum.encoded());
}

}  // namespace
}  // namespace crema
