// Converts images into an LMDB or LevelDB of Datums for the Data layer.
//   convert_imageset [FLAGS] ROOTFOLDER/ LISTFILE DB_NAME   (Caffe's list mode)
//   convert_imageset [FLAGS] IMAGE_FOLDER DB_NAME           (one subfolder per class)
#include <gflags/gflags.h>

#include <cstdio>
#include <string>

#include "crema/common.hpp"
#include "crema/data/image_set.hpp"
#include "crema/progress.hpp"
#include "crema/tool.hpp"

DEFINE_bool(gray, false, "Store the images as 1-channel grayscale (else 3-channel BGR).");
DEFINE_bool(shuffle, false, "Randomly shuffle the order of the images.");
DEFINE_string(backend, "lmdb", "The database backend: lmdb or leveldb.");
DEFINE_int32(resize_width, 0, "Resize images to this width (with --resize_height).");
DEFINE_int32(resize_height, 0, "Resize images to this height (with --resize_width).");
DEFINE_bool(check_size, false,
            "Skip images whose data size differs from the first image's.");
DEFINE_bool(encoded, false, "Store the images compressed (JPEG/PNG bytes).");
DEFINE_string(encode_type, "",
              "The format to store ('png', 'jpg'; implies --encoded); empty keeps "
              "each file's own format.");

namespace {

const char kUsage[] =
    "Converts a set of images to an LMDB or LevelDB of Datums for the Data layer.\n"
    "Usage:\n"
    "    convert_imageset [FLAGS] ROOTFOLDER/ LISTFILE DB_NAME\n"
    "        LISTFILE lines are 'relative/path label'; images are read from\n"
    "        ROOTFOLDER/relative/path.\n"
    "    convert_imageset [FLAGS] IMAGE_FOLDER DB_NAME\n"
    "        Each subfolder of IMAGE_FOLDER is a class; labels 0, 1, ... follow\n"
    "        the sorted class names, which are written one per line (line i =\n"
    "        label i) to DB_NAME/labels.txt, inside the database folder.\n"
    "Files that are missing or not readable images are skipped (as Caffe does) with a\n"
    "warning naming them (and their LISTFILE line); the count is printed at the end.\n"
    "Flags:\n"
    "    --gray                   1-channel grayscale (default: 3-channel BGR)\n"
    "    --shuffle                shuffle the order of the images\n"
    "    --resize_width=W --resize_height=H   resize every image to W x H\n"
    "    --check_size             skip images whose size differs from the first's\n"
    "    --encoded                store compressed bytes (--encode_type=png|jpg)\n"
    "    --backend=lmdb|leveldb   the database backend (default lmdb)";

// `bar` outlives the conversion: the progress callback draws on it.
crema::ConvertOptions OptionsFromFlags(crema::ProgressBar* bar) {
  crema::ConvertOptions options;
  options.gray = FLAGS_gray;
  options.shuffle = FLAGS_shuffle;
  options.backend = FLAGS_backend;
  options.resize_width = FLAGS_resize_width;
  options.resize_height = FLAGS_resize_height;
  options.check_size = FLAGS_check_size;
  options.encoded = FLAGS_encoded;
  options.encode_type = FLAGS_encode_type;
  if (bar->enabled()) options.progress_every = 20;
  options.progress = [bar](const crema::ConvertProgress& p) {
    if (bar->enabled()) {  // a terminal: one bar redrawn in place
      bar->set_total(static_cast<int64_t>(p.total));
      return bar->Update(static_cast<int64_t>(p.done));
    }
    std::printf("Processed %zu/%zu files (%zu written, %zu skipped), %.0f images/s, "
                "%.1f s left\n",
                p.done, p.total, p.written, p.skipped, p.images_per_second,
                p.seconds_left);
    std::fflush(stdout);
  };
  return options;
}

void PrintResult(const crema::ConvertResult& result, const std::string& db_name) {
  std::printf("Done: %zu images written to %s, %zu skipped.\n", result.written,
              db_name.c_str(), result.skipped.size());
  for (const auto& skipped : result.skipped) std::printf("  skipped %s\n", skipped.c_str());
  if (!result.ignored.empty()) {
    std::printf("%zu files outside the class subfolders ignored:\n", result.ignored.size());
    for (const auto& name : result.ignored) std::printf("  ignored %s\n", name.c_str());
  }
  if (!result.labels_file.empty()) {
    std::printf("%zu classes; labels written to %s\n", result.class_names.size(),
                result.labels_file.c_str());
  }
}

int Convert(int argc, char** argv) {
  crema::ExpectArgs(argc, 2, 3);
  crema::ProgressBar bar("convert_imageset", 0);
  const crema::ConvertOptions options = OptionsFromFlags(&bar);
  if (argc == 4) {
    PrintResult(crema::ConvertImageList(argv[1], argv[2], argv[3], options), argv[3]);
  } else {
    PrintResult(crema::ConvertImageFolder(argv[1], argv[2], options), argv[2]);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return crema::RunTool(argc, argv, kUsage, Convert); }
