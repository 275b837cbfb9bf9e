// convert_annoset's library: the list and VOC formats into AnnotatedDatum
// records with boxes normalised by the image size; bad lines are skipped and
// named.
#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>

#include <string>
#include <vector>

#include "crema/data/annoset.hpp"
#include "crema/data/db.hpp"
#include "solver/solver_test_util.hpp"

namespace crema {
namespace {

std::vector<AnnotatedDatum> ReadAll(const std::string& path) {
  auto db = db::OpenDB("lmdb", path, db::Mode::READ);
  auto cursor = db->NewCursor();
  std::vector<AnnotatedDatum> records;
  for (int64_t start = cursor->wraps(); cursor->valid() && cursor->wraps() == start;
       cursor->Next()) {
    records.emplace_back();
    EXPECT_TRUE(records.back().ParseFromString(cursor->value()));
  }
  return records;
}

TEST(Annoset, ListFormatGroupsAndNormalises) {
  testing::TempDir dir;
  cv::imwrite(dir / "a.png", cv::Mat(50, 100, CV_8UC3, cv::Scalar(10, 20, 30)));
  cv::imwrite(dir / "b.png", cv::Mat(20, 40, CV_8UC3, cv::Scalar(0, 0, 0)));
  testing::WriteTextFile(dir / "list.txt",
                         "a.png 10 5 60 25 2 0 0 100 50 1 50 10 70 40 2\n"
                         "missing.png 1 1 2 2 1\n"
                         "b.png 1 2 3\n"
                         "b.png 4 2 20 10 3\n");
  AnnosetOptions options;
  options.root = dir.path();
  options.list_file = dir / "list.txt";
  options.db_path = dir / "out_lmdb";
  options.resize_height = 10;
  options.resize_width = 20;
  const AnnosetReport report = ConvertAnnoset(options);
  EXPECT_EQ(2, report.written);
  ASSERT_EQ(2u, report.skipped.size());
  EXPECT_NE(std::string::npos, report.skipped[0].find("line 2 (missing.png)"));
  EXPECT_NE(std::string::npos, report.skipped[1].find("5 numbers"));
  const std::vector<AnnotatedDatum> records = ReadAll(dir / "out_lmdb");
  ASSERT_EQ(2u, records.size());
  const AnnotatedDatum& a = records[0];
  EXPECT_EQ(10, a.datum().height());
  EXPECT_EQ(20, a.datum().width());
  ASSERT_EQ(2, a.annotation_group_size());  // labels 2 and 1, in first-seen order
  EXPECT_EQ(2, a.annotation_group(0).group_label());
  ASSERT_EQ(2, a.annotation_group(0).annotation_size());
  const NormalizedBBox& box = a.annotation_group(0).annotation(0).bbox();
  EXPECT_FLOAT_EQ(0.1f, box.xmin());
  EXPECT_FLOAT_EQ(0.1f, box.ymin());
  EXPECT_FLOAT_EQ(0.6f, box.xmax());
  EXPECT_FLOAT_EQ(0.5f, box.ymax());
  EXPECT_EQ(2, a.annotation_group(0).annotation(1).instance_id());
  EXPECT_FLOAT_EQ(0.1f, records[1].annotation_group(0).annotation(0).bbox().xmin());
}

TEST(Annoset, VocFormat) {
  testing::TempDir dir;
  cv::imwrite(dir / "img.png", cv::Mat(100, 200, CV_8UC3, cv::Scalar(1, 2, 3)));
  testing::WriteTextFile(dir / "names.txt", "background\naeroplane\ndog\n");
  testing::WriteTextFile(dir / "img.xml", R"(<annotation>
  <size><width>200</width><height>100</height><depth>3</depth></size>
  <object><name>dog</name><difficult>1</difficult>
    <bndbox><xmin>20</xmin><ymin>10</ymin><xmax>120</xmax><ymax>90</ymax></bndbox></object>
  <object><name>aeroplane</name><difficult>0</difficult>
    <bndbox><xmin>0</xmin><ymin>0</ymin><xmax>50</xmax><ymax>50</ymax></bndbox></object>
</annotation>)");
  testing::WriteTextFile(dir / "bad.xml", "<annotation><size><width>200</width>"
                         "<height>100</height></size><object><name>cat</name></object>"
                         "</annotation>");
  testing::WriteTextFile(dir / "list.txt", "img.png img.xml\nimg.png bad.xml\n");
  AnnosetOptions options;
  options.root = dir.path();
  options.list_file = dir / "list.txt";
  options.db_path = dir / "voc_lmdb";
  options.format = "voc";
  options.names_file = dir / "names.txt";
  const AnnosetReport report = ConvertAnnoset(options);
  EXPECT_EQ(1, report.written);
  ASSERT_EQ(1u, report.skipped.size());
  EXPECT_NE(std::string::npos, report.skipped[0].find("'cat' is not in the names file"));
  const std::vector<AnnotatedDatum> records = ReadAll(dir / "voc_lmdb");
  ASSERT_EQ(1u, records.size());
  const AnnotationGroup& dog = records[0].annotation_group(0);
  EXPECT_EQ(2, dog.group_label());
  EXPECT_TRUE(dog.annotation(0).bbox().difficult());
  EXPECT_FLOAT_EQ(0.6f, dog.annotation(0).bbox().xmax());
  EXPECT_FLOAT_EQ(0.9f, dog.annotation(0).bbox().ymax());
  EXPECT_EQ(1, records[0].annotation_group(1).group_label());
}

}  // namespace
}  // namespace crema
