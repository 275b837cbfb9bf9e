// Annotated image sets for detection (the SSD fork's convert_annoset):
// images and their boxes into AnnotatedDatum records.
//
// Two listing formats, one image per line, paths relative to a root folder:
//   list: "image.jpg x1 y1 x2 y2 label [x1 y1 x2 y2 label ...]"
//         boxes in pixels, labels as numbers (0 is the background: not
//         allowed as a box label);
//   voc:  "image.jpg annotation.xml" with a PASCAL VOC annotation file
//         (<size>, and <object> with <name>, <difficult> and <bndbox>);
//         names map to labels through a names file (line i is label i, so
//         line 0 is the background, as in the fork's labelmap_voc).
// Boxes are stored normalised by the image's size, grouped by label.
#ifndef CREMA_DATA_ANNOSET_HPP_
#define CREMA_DATA_ANNOSET_HPP_

#include <map>
#include <string>
#include <vector>

#include "crema/proto/crema.pb.h"

namespace crema {

struct PixelBox {
  float xmin = 0, ymin = 0, xmax = 0, ymax = 0;
  int label = 0;
  bool difficult = false;
};

// Parses one line of the list format into the image path and its boxes.
// Throws crema::Error naming the problem.
void ParseAnnotationLine(const std::string& line, std::string* image,
                         std::vector<PixelBox>* boxes);

// Reads a VOC annotation file; width and height come from its <size>.
void ReadVocAnnotation(const std::string& xml_path,
                       const std::map<std::string, int>& label_of_name, int* width,
                       int* height, std::vector<PixelBox>* boxes);

// The image file (resized when height and width are positive; stored raw
// or, with encode, as the file's bytes) and its boxes normalised by the
// image's own size.
AnnotatedDatum MakeAnnotatedDatum(const std::string& image_path,
                                  const std::vector<PixelBox>& boxes, int height,
                                  int width, bool is_color, bool encode);

struct AnnosetOptions {
  std::string root;        // folder the listed paths are relative to
  std::string list_file;   // one image per line
  std::string db_path;     // the LMDB to create
  std::string format = "list";  // "list" or "voc"
  std::string names_file;  // voc: names, line i is label i
  int resize_height = 0, resize_width = 0;
  bool is_color = true;
  bool encode = false;
};

struct AnnosetReport {
  int written = 0;
  std::vector<std::string> skipped;  // "line N (path): why"
};

// Converts the listed images; a line that cannot be read is skipped and
// reported, never fatal. Throws for an unreadable list or names file.
AnnosetReport ConvertAnnoset(const AnnosetOptions& options);

}  // namespace crema

#endif  // CREMA_DATA_ANNOSET_HPP_
