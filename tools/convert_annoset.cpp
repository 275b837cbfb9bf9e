// convert_annoset: images with boxes into an LMDB of AnnotatedDatum (the
// SSD fork's training format).
//   convert_annoset [flags] ROOT/ LISTFILE DB_NAME
#include <gflags/gflags.h>

#include <cstdio>
#include <string>

#include "crema/data/annoset.hpp"
#include "crema/tool.hpp"

DEFINE_string(format, "list", "list: 'image x1 y1 x2 y2 label ...' per line (pixels); "
                              "voc: 'image annotation.xml' per line.");
DEFINE_string(labels, "", "voc: object names, one per line; line i is label i "
                          "(line 0: background).");
DEFINE_int32(resize_height, 0, "Resize images to this height (with --resize_width).");
DEFINE_int32(resize_width, 0, "Resize images to this width (with --resize_height).");
DEFINE_bool(gray, false, "Read images as grayscale.");
DEFINE_bool(encoded, false, "Store the image files' compressed bytes.");

namespace {

const char kUsage[] =
    "Converts images and their boxes into an LMDB of AnnotatedDatum records.\n"
    "Usage:\n"
    "  convert_annoset [--format=list|voc] [--labels=names.txt]\n"
    "                  [--resize_height=H --resize_width=W] [--gray] [--encoded]\n"
    "                  ROOT/ LISTFILE DB_NAME\n"
    "Boxes are stored normalised by each image's size. Lines that cannot be\n"
    "read are skipped and listed.";

int Convert(int argc, char** argv) {
  crema::ExpectArgs(argc, 3, 3);
  crema::AnnosetOptions options;
  options.root = argv[1];
  options.list_file = argv[2];
  options.db_path = argv[3];
  options.format = FLAGS_format;
  options.names_file = FLAGS_labels;
  options.resize_height = FLAGS_resize_height;
  options.resize_width = FLAGS_resize_width;
  options.is_color = !FLAGS_gray;
  options.encode = FLAGS_encoded;
  const crema::AnnosetReport report = crema::ConvertAnnoset(options);
  for (const std::string& skipped : report.skipped) {
    std::fprintf(stderr, "skipped %s\n", skipped.c_str());
  }
  std::printf("Processed %d files (%zu skipped).\n", report.written, report.skipped.size());
  return report.written > 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) { return crema::RunTool(argc, argv, kUsage, Convert); }
