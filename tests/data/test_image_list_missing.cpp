// An image list naming files that do not exist: as in Caffe, each is
// skipped with a warning, here naming the file and its line in the list, and
// the count of skipped files is reported at the end; record keys keep the
// list's numbering.
#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "crema/data/db.hpp"
#include "crema/data/image_set.hpp"
#include "crema/io/proto_io.hpp"
#include "data/data_test_util.hpp"

namespace crema {
namespace {

using testing::ScratchDir;

// root/a.png and root/b.png, and a list naming a missing file between them.
std::string MakeListWithMissingFile(const ScratchDir& dir) {
  std::filesystem::create_directories(dir / "root");
  cv::imwrite(dir / "root/a.png", cv::Mat(4, 5, CV_8UC3, cv::Scalar(1, 2, 3)));
  cv::imwrite(dir / "root/b.png", cv::Mat(4, 5, CV_8UC3, cv::Scalar(4, 5, 6)));
  std::ofstream(dir / "list.txt") << "a.png 0\n\nmissing.png 1\nb.png 2\n";
  return dir / "list.txt";
}

TEST(ImageListMissingTest, SkippedWithFileAndLineAndCounted) {
  ScratchDir dir;
  const std::string list = MakeListWithMissingFile(dir);
  const ConvertResult result = ConvertImageList(dir / "root/", list, dir / "db", {});
  EXPECT_EQ(result.written, 2u);
  ASSERT_EQ(result.skipped.size(), 1u);
  EXPECT_EQ(result.skipped[0], (dir / "root/missing.png") + " (" + list + ":3): no such file");
  // Keys number the list's entries, skipped ones included, as Caffe's do.
  auto db = db::OpenDB("lmdb", dir / "db", db::Mode::READ);
  auto cursor = db->NewCursor();
  std::vector<std::string> keys;
  for (; cursor->valid() && cursor->wraps() == 0; cursor->Next()) keys.push_back(cursor->key());
  EXPECT_EQ(keys, (std::vector<std::string>{"00000000_a.png", "00000002_b.png"}));
}

TEST(ImageListMissingTest, ToolReportsTheSkippedCount) {
  const std::string tool = std::string(CREMA_BINARY_DIR) + "/tools/convert_imageset";
  if (!std::filesystem::exists(tool)) GTEST_SKIP() << "tools/convert_imageset is not built";
  ScratchDir dir;
  const std::string list = MakeListWithMissingFile(dir);
  const std::string out = dir / "out.txt";
  const int rc = std::system((tool + " " + (dir / "root/") + " " + list + " " + (dir / "db") +
                              " > " + out + " 2>&1").c_str());
  const std::string log = ReadFileToString(out);
  EXPECT_EQ(rc, 0) << log;
  EXPECT_NE(log.find("Skipping '" + (dir / "root/missing.png") + "' (" + list +
                     ":3): no such file"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("2 images written to " + (dir / "db") + ", 1 skipped."), std::string::npos)
      << log;
}

}  // namespace
}  // namespace crema
