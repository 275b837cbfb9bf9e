#include "crema/data/image_set.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "crema/common.hpp"
#include "crema/data/datum.hpp"
#include "crema/io/proto_io.hpp"
#include "crema/proto/crema.pb.h"

namespace crema {
namespace {

namespace fs = std::filesystem;

bool Hidden(const fs::path& path) {
  const std::string name = path.filename().string();
  return !name.empty() && name[0] == '.';
}

std::string Extension(const std::string& path) {
  std::string ext = fs::path(path).extension().string();
  if (!ext.empty()) ext = ext.substr(1);
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return ext;
}

using Shape = std::array<int, 3>;  // channels, height, width

std::string ShapeText(const Shape& shape) {
  return StrCat(shape[0], " x ", shape[1], " x ", shape[2]);
}

// check_size: raw datums compare their byte count with the first one's (as
// Caffe does); encoded ones compare channels x height x width once decoded,
// since compressed sizes differ between images of the same shape.
bool SameSize(const Datum& datum, bool is_color, size_t* first_size, Shape* first_shape,
              std::string* reason) {
  if (!datum.encoded()) {
    if (*first_size == 0) {
      *first_size = datum.data().size();
    } else if (datum.data().size() != *first_size) {
      *reason = StrCat("its size (", datum.data().size(),
                       " bytes) differs from the first image's (", *first_size, " bytes)");
      return false;
    }
    return true;
  }
  cv::Mat image;
  try {
    image = DecodeDatumToCVMat(datum, is_color);
  } catch (const std::exception&) {
    *reason = "its encoded bytes could not be decoded";
    return false;
  }
  const Shape shape{image.channels(), image.rows, image.cols};
  if ((*first_shape)[0] == 0) {
    *first_shape = shape;
  } else if (shape != *first_shape) {
    *reason = StrCat("its shape (", ShapeText(shape), ") differs from the first image's (",
                     ShapeText(*first_shape), ")");
    return false;
  }
  return true;
}

// The order to convert n images in: as given, or shuffled.
std::vector<size_t> ConversionOrder(size_t n, bool shuffle) {
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = i;
  if (!shuffle) return order;
  RandomEngine& rng = Crema::rng();
  for (size_t i = n; i > 1; --i) std::swap(order[i - 1], order[rng() % i]);
  return order;
}

// Why an image could not be converted ("" when it was read into datum).
std::string ReadForConversion(const std::string& path, const std::string& name, int label,
                              const ConvertOptions& options, Datum* datum) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return "no such file";
  const bool encoded = options.encoded || !options.encode_type.empty();
  std::string encoding = options.encode_type;
  if (encoded && encoding.empty()) encoding = Extension(name);
  try {
    if (ReadImageToDatum(path, label, options.resize_height, options.resize_width,
                         !options.gray, encoding, datum)) {
      return "";
    }
  } catch (const std::exception&) {
  }
  return "not a readable image (corrupt or not an image file)";
}

}  // namespace

namespace {

// ParseImageList, also giving the line each image was listed on.
ImageList ParseImageListLines(std::istream& in, const std::string& list_file,
                              std::vector<int>* line_numbers) {
  ImageList images;
  std::string line;
  int line_number = 0;
  while (std::getline(in, line)) {
    ++line_number;
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) {
      line.pop_back();
    }
    if (line.empty()) continue;
    const size_t space = line.find_last_of(" \t");
    size_t parsed = 0;
    int label = 0;
    bool ok = space != std::string::npos && space > 0;
    if (ok) {
      try {
        label = std::stoi(line.substr(space + 1), &parsed);
        ok = parsed == line.size() - space - 1;
      } catch (const std::exception&) {
        ok = false;
      }
    }
    if (!ok) {
      Throw(list_file, ":", line_number, ": expected 'relative/path label', got '",
            line, "'.");
    }
    images.emplace_back(line.substr(0, space), label);
    line_numbers->push_back(line_number);
  }
  return images;
}

ImageList ReadImageListLines(const std::string& list_file, std::vector<int>* line_numbers) {
  std::ifstream in(list_file);
  if (!in) Throw("Cannot open the image list '", list_file, "'.");
  return ParseImageListLines(in, list_file, line_numbers);
}

}  // namespace

ImageList ReadImageList(const std::string& list_file) {
  std::vector<int> line_numbers;
  return ReadImageListLines(list_file, &line_numbers);
}

ImageList ParseImageList(const std::string& text, const std::string& name) {
  std::istringstream in(text);
  std::vector<int> line_numbers;
  return ParseImageListLines(in, name, &line_numbers);
}

ImageList ListImageFolder(const std::string& folder, std::vector<std::string>* class_names,
                          std::vector<std::string>* top_level_files) {
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) {
    Throw("The image folder '", folder, "' does not exist or is not a folder.");
  }
  std::vector<std::string> classes;
  std::vector<std::string> loose_files;
  for (const auto& entry : fs::directory_iterator(folder, ec)) {
    if (Hidden(entry.path())) continue;
    if (entry.is_directory()) {
      classes.push_back(entry.path().filename().string());
    } else if (entry.is_regular_file()) {
      loose_files.push_back(entry.path().filename().string());
    }
  }
  if (ec) Throw("Cannot list the image folder '", folder, "': ", ec.message());
  std::sort(loose_files.begin(), loose_files.end());
  for (const auto& name : loose_files) {
    LOG(WARNING) << "Ignoring '" << (fs::path(folder) / name).string()
                 << "': it is not inside a class subfolder of '" << folder << "'.";
  }
  if (top_level_files) *top_level_files = loose_files;
  if (classes.empty()) {
    Throw("The image folder '", folder, "' has no class subfolders; put the images of "
          "each class in a subfolder named after the class.");
  }
  std::sort(classes.begin(), classes.end());
  ImageList images;
  for (size_t label = 0; label < classes.size(); ++label) {
    const fs::path class_dir = fs::path(folder) / classes[label];
    std::vector<std::string> files;
    for (auto it = fs::recursive_directory_iterator(class_dir, ec);
         it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (ec) break;
      if (Hidden(it->path())) {
        if (it->is_directory()) it.disable_recursion_pending();
        continue;
      }
      if (it->is_regular_file()) {
        files.push_back(fs::relative(it->path(), folder).generic_string());
      }
    }
    if (ec) Throw("Cannot list '", class_dir.string(), "': ", ec.message());
    std::sort(files.begin(), files.end());
    for (auto& file : files) images.emplace_back(std::move(file), static_cast<int>(label));
  }
  if (class_names) *class_names = classes;
  return images;
}

namespace {

// Progress reports for ConvertImages.
class ProgressReporter {
 public:
  ProgressReporter(const ConvertOptions& options, size_t total)
      : options_(options), total_(total), start_(std::chrono::steady_clock::now()) {}
  void Report(size_t done, const ConvertResult& result) const {
    if (!options_.progress) return;
    ConvertProgress p;
    p.done = done;
    p.total = total_;
    p.written = result.written;
    p.skipped = result.skipped.size();
    p.elapsed_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    p.images_per_second = p.elapsed_seconds > 0 ? done / p.elapsed_seconds : 0;
    p.seconds_left = p.images_per_second > 0 ? (p.total - done) / p.images_per_second : 0;
    options_.progress(p);
  }

 private:
  const ConvertOptions& options_;
  size_t total_;
  std::chrono::steady_clock::time_point start_;
};

// ConvertImageSet, where origins[i] (when given) says where images[i] was
// listed ("list.txt:12"), for the messages about skipped files.
ConvertResult ConvertImages(const std::string& root_folder, const ImageList& images,
                            const std::vector<std::string>& origins,
                            const std::string& db_path, const ConvertOptions& options) {
  if (images.empty()) Throw("There are no images to convert into '", db_path, "'.");
  if ((options.resize_width > 0) != (options.resize_height > 0)) {
    Throw("Give both resize_width and resize_height, or neither.");
  }
  const std::vector<size_t> order = ConversionOrder(images.size(), options.shuffle);
  auto db = db::OpenDB(options.backend, db_path, db::Mode::NEW, options.db_options);
  auto txn = db->NewTransaction();
  if (!options.encoded && !options.encode_type.empty()) {
    LOG(INFO) << "encode_type specified, assuming encoded=true.";
  }
  ConvertResult result;
  size_t data_size = 0;
  Shape first_shape{0, 0, 0};  // of the first decoded image
  const ProgressReporter progress(options, images.size());
  Datum datum;
  std::string value;
  for (size_t i = 0; i < images.size(); ++i) {
    const auto& [name, label] = images[order[i]];
    const std::string path = root_folder + name;
    std::string reason = ReadForConversion(path, name, label, options, &datum);
    if (reason.empty() && options.check_size) {
      SameSize(datum, !options.gray, &data_size, &first_shape, &reason);
    }
    if (!reason.empty()) {
      const std::string where = origins.empty() ? "" : " (" + origins[order[i]] + ")";
      LOG(WARNING) << "Skipping '" << path << "'" << where << ": " << reason;
      result.skipped.push_back(StrCat(path, where, ": ", reason));
    } else {
      datum.SerializeToString(&value);
      txn->Put(db::FormatKey(static_cast<int64_t>(i), name), value);
      ++result.written;
      if (txn->pending() >= options.commit_every) txn->Commit();
    }
    if ((i + 1) % std::max<size_t>(options.progress_every, 1) == 0 && i + 1 < images.size()) {
      progress.Report(i + 1, result);
    }
  }
  txn->Commit();
  progress.Report(images.size(), result);
  if (result.written == 0) {
    Throw("None of the ", images.size(), " images could be read; '", db_path, "' is empty.");
  }
  return result;
}

}  // namespace

ConvertResult ConvertImageSet(const std::string& root_folder, ImageList images,
                              const std::string& db_path, const ConvertOptions& options) {
  return ConvertImages(root_folder, images, {}, db_path, options);
}

ConvertResult ConvertImageList(const std::string& root_folder, const std::string& list_file,
                               const std::string& db_path, const ConvertOptions& options) {
  std::vector<int> line_numbers;
  const ImageList images = ReadImageListLines(list_file, &line_numbers);
  if (images.empty()) Throw("The image list '", list_file, "' is empty.");
  std::vector<std::string> origins;
  for (int line : line_numbers) origins.push_back(StrCat(list_file, ":", line));
  return ConvertImages(root_folder, images, origins, db_path, options);
}

ConvertResult ConvertImageFolder(const std::string& folder, const std::string& db_path,
                                 const ConvertOptions& options) {
  std::vector<std::string> classes;
  std::vector<std::string> ignored;
  ImageList images = ListImageFolder(folder, &classes, &ignored);
  if (images.empty()) {
    Throw("The class subfolders of '", folder, "' hold no files.");
  }
  std::string root = folder;
  if (!root.empty() && root.back() != '/') root += '/';
  ConvertResult result = ConvertImageSet(root, std::move(images), db_path, options);
  result.class_names = classes;
  result.ignored = ignored;
  result.labels_file = (fs::path(db_path) / kLabelsFileName).string();
  std::string text;
  for (const auto& name : classes) text += name + "\n";
  WriteFileAtomically(text, result.labels_file);
  return result;
}

}  // namespace crema
