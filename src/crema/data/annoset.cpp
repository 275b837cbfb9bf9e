#include "crema/data/annoset.hpp"

#include <fstream>
#include <sstream>

#include <opencv2/imgcodecs.hpp>

#include "crema/common.hpp"
#include "crema/data/datum.hpp"
#include "crema/data/db.hpp"

namespace crema {

void ParseAnnotationLine(const std::string& line, std::string* image,
                         std::vector<PixelBox>* boxes) {
  std::istringstream in(line);
  boxes->clear();
  if (!(in >> *image)) Throw("the line is empty.");
  std::vector<float> numbers;
  std::string token;
  while (in >> token) {
    std::istringstream number(token);
    float value;
    if (!(number >> value) || !number.eof()) Throw("'", token, "' is not a number.");
    numbers.push_back(value);
  }
  if (numbers.size() % 5 != 0) {
    Throw("after the image come boxes of 5 numbers (x1 y1 x2 y2 label); got ",
          numbers.size(), " numbers.");
  }
  for (size_t i = 0; i < numbers.size(); i += 5) {
    PixelBox b{numbers[i], numbers[i + 1], numbers[i + 2], numbers[i + 3],
               static_cast<int>(numbers[i + 4]), false};
    if (b.label <= 0 || b.label != numbers[i + 4]) {
      Throw("box ", i / 5, " has label ", numbers[i + 4],
            "; labels are whole numbers from 1 (0 is the background).");
    }
    if (b.xmax <= b.xmin || b.ymax <= b.ymin) {
      Throw("box ", i / 5, " (", b.xmin, ", ", b.ymin, ", ", b.xmax, ", ", b.ymax,
            ") is empty: give x1 y1 x2 y2 with x1 < x2 and y1 < y2.");
    }
    boxes->push_back(b);
  }
}

namespace {

// The text between <tag> and </tag> in text[from, to), or "" (and
// *found false) when absent.
std::string TagText(const std::string& text, const std::string& tag, size_t from = 0,
                    size_t to = std::string::npos, bool* found = nullptr) {
  const size_t open = text.find("<" + tag + ">", from);
  const size_t close = open == std::string::npos ? open : text.find("</" + tag + ">", open);
  const bool ok = close != std::string::npos && close <= to;
  if (found) *found = ok;
  if (!ok) return "";
  const size_t start = open + tag.size() + 2;
  std::string value = text.substr(start, close - start);
  const size_t first = value.find_first_not_of(" \t\r\n");
  const size_t last = value.find_last_not_of(" \t\r\n");
  return first == std::string::npos ? "" : value.substr(first, last - first + 1);
}

float TagNumber(const std::string& text, const std::string& tag, size_t from, size_t to,
                const std::string& path) {
  bool found = false;
  const std::string value = TagText(text, tag, from, to, &found);
  try {
    if (found) return std::stof(value);
  } catch (const std::exception&) {
  }
  Throw("'", path, "': <", tag, "> is missing or not a number ('", value, "').");
}

}  // namespace

void ReadVocAnnotation(const std::string& xml_path,
                       const std::map<std::string, int>& label_of_name, int* width,
                       int* height, std::vector<PixelBox>* boxes) {
  std::ifstream in(xml_path);
  if (!in) Throw("cannot open the annotation '", xml_path, "'.");
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string xml = buffer.str();
  *width = static_cast<int>(TagNumber(xml, "width", 0, std::string::npos, xml_path));
  *height = static_cast<int>(TagNumber(xml, "height", 0, std::string::npos, xml_path));
  boxes->clear();
  for (size_t at = xml.find("<object>"); at != std::string::npos;
       at = xml.find("<object>", at + 1)) {
    const size_t end = xml.find("</object>", at);
    if (end == std::string::npos) Throw("'", xml_path, "': an <object> is not closed.");
    const std::string name = TagText(xml, "name", at, end);
    const auto label = label_of_name.find(name);
    if (label == label_of_name.end()) {
      Throw("'", xml_path, "': the object name '", name, "' is not in the names file.");
    }
    PixelBox b;
    b.label = label->second;
    b.difficult = TagText(xml, "difficult", at, end) == "1";
    b.xmin = TagNumber(xml, "xmin", at, end, xml_path);
    b.ymin = TagNumber(xml, "ymin", at, end, xml_path);
    b.xmax = TagNumber(xml, "xmax", at, end, xml_path);
    b.ymax = TagNumber(xml, "ymax", at, end, xml_path);
    boxes->push_back(b);
  }
}

AnnotatedDatum MakeAnnotatedDatum(const std::string& image_path,
                                  const std::vector<PixelBox>& boxes, int height, int width,
                                  bool is_color, bool encode) {
  const cv::Mat image =
      cv::imread(image_path, is_color ? cv::IMREAD_COLOR : cv::IMREAD_GRAYSCALE);
  if (image.empty()) Throw("'", image_path, "' is missing or not an image.");
  AnnotatedDatum record;
  record.set_type(AnnotatedDatum::BBOX);
  const size_t dot = image_path.rfind('.');
  const std::string encoding = encode && dot != std::string::npos ? image_path.substr(dot + 1) : "";
  if (!ReadImageToDatum(image_path, -1, height, width, is_color, encoding,
                        record.mutable_datum())) {
    Throw("'", image_path, "' cannot be read into a datum.");
  }
  std::map<int, AnnotationGroup*> groups;
  int instance = 0;
  for (const PixelBox& b : boxes) {
    AnnotationGroup*& group = groups[b.label];
    if (!group) {
      group = record.add_annotation_group();
      group->set_group_label(b.label);
    }
    Annotation* a = group->add_annotation();
    a->set_instance_id(instance++);
    NormalizedBBox* box = a->mutable_bbox();
    box->set_xmin(b.xmin / image.cols);
    box->set_ymin(b.ymin / image.rows);
    box->set_xmax(b.xmax / image.cols);
    box->set_ymax(b.ymax / image.rows);
    box->set_difficult(b.difficult);
  }
  return record;
}

namespace {

std::map<std::string, int> ReadNames(const std::string& path) {
  std::ifstream in(path);
  if (!in) Throw("cannot open the names file '", path, "'.");
  std::map<std::string, int> names;
  std::string line;
  for (int label = 0; std::getline(in, line); ++label) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    names[line] = label;
  }
  return names;
}

}  // namespace

AnnosetReport ConvertAnnoset(const AnnosetOptions& options) {
  if (options.format != "list" && options.format != "voc") {
    Throw("unknown annotation format '", options.format, "': use list or voc.");
  }
  std::map<std::string, int> names;
  if (options.format == "voc") {
    if (options.names_file.empty()) Throw("the voc format needs a names file (--labels).");
    names = ReadNames(options.names_file);
  }
  std::ifstream list(options.list_file);
  if (!list) Throw("cannot open the list file '", options.list_file, "'.");
  const std::string root = options.root.empty() ? "" : options.root + "/";
  auto db = db::OpenDB("lmdb", options.db_path, db::Mode::NEW);
  auto txn = db->NewTransaction();
  AnnosetReport report;
  std::string line;
  for (int number = 1; std::getline(list, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    std::string image;
    try {
      std::vector<PixelBox> boxes;
      if (options.format == "list") {
        ParseAnnotationLine(line, &image, &boxes);
      } else {
        std::istringstream in(line);
        std::string xml;
        if (!(in >> image >> xml)) Throw("give an image and its annotation file.");
        int w = 0, h = 0;
        ReadVocAnnotation(root + xml, names, &w, &h, &boxes);
      }
      const AnnotatedDatum record =
          MakeAnnotatedDatum(root + image, boxes, options.resize_height, options.resize_width,
                             options.is_color, options.encode);
      txn->Put(db::FormatKey(report.written, image), record.SerializeAsString());
      ++report.written;
      if (txn->pending() >= 1000) txn->Commit();
    } catch (const Error& e) {
      report.skipped.push_back(StrCat("line ", number, " (", image, "): ", e.what()));
    }
  }
  txn->Commit();
  db->Close();
  return report;
}

}  // namespace crema
