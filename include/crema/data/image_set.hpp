// Converting a set of images into a database of Datums, as Caffe's
// convert_imageset does, plus a folder mode: each subfolder of a folder is
// a class, labels are given in sorted order of the class names, and the
// names are written to labels.txt inside the database folder (line i holds
// the name of label i). A file that is not a readable image is skipped,
// counted and named; the conversion goes on.
#ifndef CREMA_DATA_IMAGE_SET_HPP_
#define CREMA_DATA_IMAGE_SET_HPP_

#include <cstddef>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "crema/data/db.hpp"

namespace crema {

// (relative path, label) in listed order.
using ImageList = std::vector<std::pair<std::string, int>>;

// Reads lines "relative/path label" (the label after the last space, so
// paths may hold spaces). Blank lines are ignored. Throws crema::Error for
// a missing file or a line without an integer label (naming file and line).
ImageList ReadImageList(const std::string& list_file);
// The same, from the list's text; `name` stands for the file in errors.
ImageList ParseImageList(const std::string& text, const std::string& name);

// Lists folder/<class>/**/<file> for every class subfolder, classes in
// sorted order (label = index), files sorted within a class, paths relative
// to folder. Hidden files and folders (".name") are ignored. Files directly
// inside folder belong to no class: they are left out with a warning and
// their names go to `top_level_files` when given. Throws crema::Error when
// the folder is missing or has no class subfolders.
ImageList ListImageFolder(const std::string& folder, std::vector<std::string>* class_names,
                          std::vector<std::string>* top_level_files = nullptr);

struct ConvertProgress {
  size_t done = 0;  // files processed (written + skipped)
  size_t total = 0;
  size_t written = 0;
  size_t skipped = 0;
  double elapsed_seconds = 0;
  double images_per_second = 0;
  double seconds_left = 0;
};

struct ConvertOptions {
  bool gray = false;        // store 1-channel images (else 3-channel BGR)
  bool shuffle = false;     // randomize the order (from Crema::rng())
  int resize_width = 0;     // resize when both are positive
  int resize_height = 0;
  // Skip images whose size differs from the first: the byte count of raw
  // pixels, or channels x height x width once decoded for encoded images.
  bool check_size = false;
  bool encoded = false;     // store compressed bytes instead of pixels
  // "png", "jpg"; empty: each file's own format. As in Caffe, a non-empty
  // encode_type implies encoded.
  std::string encode_type;
  std::string backend = "lmdb";
  db::Options db_options;
  size_t commit_every = 1000;
  // Called every `progress_every` files and once at the end.
  std::function<void(const ConvertProgress&)> progress;
  size_t progress_every = 1000;
};

struct ConvertResult {
  size_t written = 0;
  // "path: reason" for every skipped file.
  std::vector<std::string> skipped;
  // Folder mode only: class names by label, and where they were written.
  std::vector<std::string> class_names;
  std::string labels_file;
  // Folder mode only: files directly inside the folder, in no class, left out.
  std::vector<std::string> ignored;
};

// Writes images[i] (read from root_folder + path) under key
// "%08d_<path>" into a new database at db_path. Throws crema::Error for an
// empty list, a database that cannot be created, or when no image at all
// could be read.
ConvertResult ConvertImageSet(const std::string& root_folder, ImageList images,
                              const std::string& db_path, const ConvertOptions& options);
// Caffe's list mode.
ConvertResult ConvertImageList(const std::string& root_folder, const std::string& list_file,
                               const std::string& db_path, const ConvertOptions& options);
// Folder mode; also writes db_path/labels.txt.
ConvertResult ConvertImageFolder(const std::string& folder, const std::string& db_path,
                                 const ConvertOptions& options);

// Name of the labels file folder mode writes inside the database folder.
constexpr const char* kLabelsFileName = "labels.txt";

}  // namespace crema

#endif  // CREMA_DATA_IMAGE_SET_HPP_
