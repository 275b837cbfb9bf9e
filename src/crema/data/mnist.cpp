#include "crema/data/mnist.hpp"

#include <zlib.h>

#include <random>
#include <vector>

#include "crema/common.hpp"
#include "crema/data/db.hpp"
#include "crema/proto/crema.pb.h"

namespace crema {
namespace {

// gzread reads plain files as they are, so one reader serves both forms.
class IdxFile {
 public:
  explicit IdxFile(const std::string& path) : path_(path) {
    file_ = gzopen(path.c_str(), "rb");
    if (!file_) Throw("Cannot open the MNIST file '", path, "'.");
  }
  ~IdxFile() { gzclose(file_); }

  void Read(void* buffer, size_t size) {
    char* out = static_cast<char*>(buffer);
    while (size > 0) {
      const unsigned chunk = static_cast<unsigned>(std::min<size_t>(size, 1u << 30));
      const int got = gzread(file_, out, chunk);
      if (got <= 0) Throw("The MNIST file '", path_, "' is truncated or corrupt.");
      out += got;
      size -= static_cast<size_t>(got);
    }
  }

  uint32_t ReadBigEndian() {
    unsigned char b[4];
    Read(b, 4);
    return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | b[3];
  }

  const std::string& path() const { return path_; }

 private:
  std::string path_;
  gzFile file_ = nullptr;
};

// The headers of a matching pair of idx files, checked.
struct MnistHeader {
  uint32_t count = 0;
  uint32_t rows = 0;
  uint32_t cols = 0;
};

MnistHeader ReadHeaders(IdxFile* images, IdxFile* labels) {
  const std::string& image_file = images->path();
  const std::string& label_file = labels->path();
  if (images->ReadBigEndian() != 2051) {
    Throw("'", image_file, "' is not an MNIST image file (idx3, magic number 2051).");
  }
  if (labels->ReadBigEndian() != 2049) {
    Throw("'", label_file, "' is not an MNIST label file (idx1, magic number 2049).");
  }
  MnistHeader header;
  header.count = images->ReadBigEndian();
  const uint32_t num_labels = labels->ReadBigEndian();
  if (header.count != num_labels) {
    Throw("'", image_file, "' holds ", header.count, " images but '", label_file,
          "' holds ", num_labels, " labels.");
  }
  header.rows = images->ReadBigEndian();
  header.cols = images->ReadBigEndian();
  if (header.rows == 0 || header.cols == 0 || header.rows > 4096 || header.cols > 4096) {
    Throw("'", image_file, "' announces images of ", header.rows, " x ", header.cols,
          " pixels.");
  }
  return header;
}

}  // namespace

int64_t ConvertMnist(const std::string& image_file, const std::string& label_file,
                     const std::string& db_path, const std::string& backend) {
  IdxFile images(image_file);
  IdxFile labels(label_file);
  const MnistHeader header = ReadHeaders(&images, &labels);
  const uint32_t num_images = header.count;
  const uint32_t rows = header.rows;
  const uint32_t cols = header.cols;

  auto db = db::OpenDB(backend, db_path, db::Mode::NEW);
  auto txn = db->NewTransaction();
  Datum datum;
  datum.set_channels(1);
  datum.set_height(static_cast<int>(rows));
  datum.set_width(static_cast<int>(cols));
  std::string pixels(static_cast<size_t>(rows) * cols, '\0');
  std::string value;
  LOG(INFO) << "A total of " << num_images << " items; rows " << rows << ", cols " << cols;
  for (uint32_t i = 0; i < num_images; ++i) {
    images.Read(&pixels[0], pixels.size());
    char label = 0;
    labels.Read(&label, 1);
    datum.set_data(pixels);
    datum.set_label(static_cast<unsigned char>(label));
    datum.SerializeToString(&value);
    txn->Put(db::FormatKey(i), value);
    if ((i + 1) % 1000 == 0) txn->Commit();
  }
  txn->Commit();
  LOG(INFO) << "Processed " << num_images << " files.";
  return num_images;
}

int64_t ConvertMnistSiamese(const std::string& image_file, const std::string& label_file,
                            const std::string& db_path, const SiameseOptions& options) {
  IdxFile images(image_file);
  IdxFile labels(label_file);
  const MnistHeader header = ReadHeaders(&images, &labels);
  if (header.count == 0) Throw("'", image_file, "' holds no images to pair.");
  const size_t size = static_cast<size_t>(header.rows) * header.cols;
  std::string pixels(header.count * size, '\0');
  std::string digit_labels(header.count, '\0');
  images.Read(&pixels[0], pixels.size());
  labels.Read(&digit_labels[0], digit_labels.size());

  const int64_t pairs = options.pairs > 0 ? options.pairs : header.count;
  auto db = db::OpenDB(options.backend, db_path, db::Mode::NEW);
  auto txn = db->NewTransaction();
  std::mt19937_64 rng(options.seed);
  std::uniform_int_distribution<uint32_t> pick(0, header.count - 1);
  Datum datum;
  datum.set_channels(2);
  datum.set_height(static_cast<int>(header.rows));
  datum.set_width(static_cast<int>(header.cols));
  std::string value;
  for (int64_t p = 0; p < pairs; ++p) {
    const uint32_t i = pick(rng);
    const uint32_t j = pick(rng);
    datum.set_data(pixels.substr(i * size, size) + pixels.substr(j * size, size));
    datum.set_label(digit_labels[i] == digit_labels[j] ? 1 : 0);
    datum.SerializeToString(&value);
    txn->Put(db::FormatKey(p), value);
    if ((p + 1) % 1000 == 0) txn->Commit();
  }
  txn->Commit();
  LOG(INFO) << "Wrote " << pairs << " pairs of " << header.rows << " x " << header.cols
            << " images.";
  return pairs;
}

}  // namespace crema
