#include "crema/layers/hdf5_data_layer.hpp"

#include <hdf5.h>

#include <algorithm>
#include <climits>
#include <fstream>
#include <numeric>
#include <sstream>

#include "crema/layer_registry.hpp"
#include "crema/math/math_functions.hpp"

namespace crema {
namespace {

// Silences HDF5's own error printing while alive: failures are reported
// as crema::Error instead.
class QuietHDF5 {
 public:
  QuietHDF5() {
    H5Eget_auto2(H5E_DEFAULT, &func_, &data_);
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  }
  ~QuietHDF5() { H5Eset_auto2(H5E_DEFAULT, func_, data_); }

 private:
  H5E_auto2_t func_ = nullptr;
  void* data_ = nullptr;
};

bool FileExists(const std::string& path) { return std::ifstream(path).good(); }

// Reads the dimensions of an open dataset into *shape, or returns why they
// cannot be used: each must fit an int, and the values they announce must be
// stored in the file, since the layer allocates what the shape says before
// reading (a few header bytes may announce any shape).
std::string ReadShape(hid_t file, hid_t set, std::vector<int>* shape) {
  const hid_t space = H5Dget_space(set);
  const int rank = space < 0 ? -1 : H5Sget_simple_extent_ndims(space);
  std::vector<hsize_t> dims(std::max(rank, 0));
  if (rank > 0 && H5Sget_simple_extent_dims(space, dims.data(), nullptr) < 0) dims.clear();
  if (space >= 0) H5Sclose(space);
  if (rank < 0 || dims.size() != static_cast<size_t>(rank)) return "has no readable shape.";
  if (rank > kMaxBlobAxes) return StrCat("has ", rank, " axes; a blob takes at most ",
                                         kMaxBlobAxes, ".");
  hsize_t count = 1;
  for (hsize_t dim : dims) {
    if (dim > static_cast<hsize_t>(INT_MAX)) {
      return StrCat("has a dimension of ", dim, "; each must be below 2^31.");
    }
    count = count > static_cast<hsize_t>(INT_MAX) ? count : count * dim;
  }
  hsize_t file_size = 0;
  if (H5Fget_filesize(file, &file_size) < 0) file_size = 0;
  const hsize_t stored = H5Dget_storage_size(set);
  // 1032:1 is deflate's best ratio; no filter HDF5 ships packs values tighter.
  if (count > 0 && (stored == 0 || stored > file_size || count / 1032 > stored)) {
    return StrCat("announces ", count > static_cast<hsize_t>(INT_MAX) ? "over 2^31" :
                  std::to_string(count), " values but stores ", stored, " bytes of them in a ",
                  file_size, "-byte file.");
  }
  shape->assign(dims.begin(), dims.end());
  return "";
}

std::string Trim(const std::string& s) {
  const size_t begin = s.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) return "";
  const size_t end = s.find_last_not_of(" \t\r\n");
  return s.substr(begin, end - begin + 1);
}

}  // namespace

void HDF5DataLayer::LayerSetUp(const std::vector<Blob*>& bottom,
                               const std::vector<Blob*>& top) {
  const HDF5DataParameter& param = layer_param_.hdf5_data_param();
  if (static_cast<int>(top.size()) != layer_param_.top_size()) {
    Fail("needs a named top per dataset to read.");
  }
  if (param.batch_size() == 0)
    Fail("hdf5_data_param.batch_size must be positive.");
  const std::string& source = param.source();
  std::ifstream list(source);
  if (!list)
    Fail("cannot open the file list (hdf5_data_param.source) '", source, "'.");
  const size_t slash = source.find_last_of('/');
  const std::string folder =
      slash == std::string::npos ? "" : source.substr(0, slash + 1);
  file_names_.clear();
  for (std::string line; std::getline(list, line);) {
    std::string name = Trim(line);
    if (name.empty()) continue;
    if (name[0] != '/' && !FileExists(name) && FileExists(folder + name)) {
      name = folder + name;
    }
    file_names_.push_back(name);
  }
  if (file_names_.empty())
    Fail("the file list '", source, "' names no HDF5 files.");
  LOG(INFO) << Describe() << ": " << file_names_.size() << " HDF5 file(s) in "
            << source;

  file_order_.resize(file_names_.size());
  std::iota(file_order_.begin(), file_order_.end(), 0);
  if (param.shuffle())
    std::shuffle(file_order_.begin(), file_order_.end(), Crema::rng());
  current_file_ = 0;
  current_row_ = 0;
  loaded_file_ = -1;
  LoadCurrentFile();

  const int batch_size = static_cast<int>(param.batch_size());
  for (size_t i = 0; i < top.size(); ++i) {
    std::vector<int> shape = data_[i]->shape();
    shape[0] = batch_size;
    top[i]->Reshape(shape);
  }
}

std::vector<std::unique_ptr<Blob>> ReadHDF5Datasets(int64_t file_id, const std::string& name,
                                                    const std::vector<std::string>& datasets) {
  static_assert(sizeof(hid_t) == sizeof(int64_t), "hid_t is a 64-bit id");
  QuietHDF5 quiet;
  std::vector<std::unique_ptr<Blob>> data;
  for (const std::string& dataset : datasets) {
    const hid_t set = H5Dopen2(file_id, dataset.c_str(), H5P_DEFAULT);
    if (set < 0) {
      Throw("HDF5 file '", name, "' has no dataset '", dataset,
            "' (each top reads the dataset of its name).");
    }
    struct Close {
      hid_t set;
      ~Close() { H5Dclose(set); }
    } close{set};
    std::vector<int> shape;
    const auto fail = [&](const std::string& why) {
      Throw("dataset '", dataset, "' of '", name, "' ", why);
    };
    const std::string unusable = ReadShape(file_id, set, &shape);
    if (!unusable.empty()) fail(unusable);
    if (shape.empty()) fail("has no axes; it needs at least one (rows).");
    if (shape[0] <= 0) fail("has no rows.");
    if (!data.empty() && shape[0] != data[0]->shape(0)) {
      fail(StrCat("has ", shape[0], " rows but dataset '", datasets[0], "' has ",
                  data[0]->shape(0), "."));
    }
    data.push_back(std::make_unique<Blob>(shape));
    if (H5Dread(set, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                data.back()->mutable_cpu_data()) < 0) {
      fail("could not be read as numbers.");
    }
  }
  return data;
}

std::vector<std::unique_ptr<Blob>> ReadHDF5Image(const std::string& bytes, const std::string& name,
                                                 const std::vector<std::string>& datasets) {
  QuietHDF5 quiet;
  // The core driver reads the file from memory; HDF5 copies the image.
  const hid_t access = H5Pcreate(H5P_FILE_ACCESS);
  if (access < 0 || H5Pset_fapl_core(access, 1 << 16, 0) < 0 ||
      H5Pset_file_image(access, const_cast<char*>(bytes.data()), bytes.size()) < 0) {
    if (access >= 0) H5Pclose(access);
    Throw("cannot give HDF5 the image of '", name, "'.");
  }
  const hid_t file_id = H5Fopen(name.c_str(), H5F_ACC_RDONLY, access);
  H5Pclose(access);
  if (file_id < 0) Throw("cannot open HDF5 file '", name, "'.");
  struct Close {
    hid_t file;
    ~Close() { H5Fclose(file); }
  } close{file_id};
  return ReadHDF5Datasets(file_id, name, datasets);
}

void HDF5DataLayer::LoadCurrentFile() {
  const int file = file_order_[current_file_];
  const std::string& name = file_names_[file];
  QuietHDF5 quiet;
  const hid_t file_id = H5Fopen(name.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (file_id < 0) Fail("cannot open HDF5 file '", name, "'.");
  std::vector<std::unique_ptr<Blob>> fresh;
  try {
    fresh = ReadHDF5Datasets(file_id, name, {layer_param_.top().begin(), layer_param_.top().end()});
  } catch (const Error& e) {
    H5Fclose(file_id);
    Fail(e.what());
  }
  H5Fclose(file_id);
  for (size_t i = 0; i < fresh.size() && !data_.empty(); ++i) {
    const std::vector<int>& shape = fresh[i]->shape();
    const std::vector<int>& before = data_[i]->shape();
    if (!std::equal(shape.begin() + 1, shape.end(), before.begin() + 1, before.end())) {
      Fail("dataset '", layer_param_.top(static_cast<int>(i)), "' of '", name, "' has shape ",
           ShapeString(shape), " but the first file's has ", ShapeString(before),
           "; only the number of rows may differ.");
    }
  }
  data_ = std::move(fresh);
  loaded_file_ = file;
  row_order_.resize(data_[0]->shape(0));
  std::iota(row_order_.begin(), row_order_.end(), 0);
  if (layer_param_.hdf5_data_param().shuffle()) {
    std::shuffle(row_order_.begin(), row_order_.end(), Crema::rng());
  }
  DLOG(INFO) << Describe() << ": read " << data_[0]->shape(0) << " rows from "
             << name;
}

void HDF5DataLayer::Advance() {
  if (++current_row_ < data_[0]->shape(0)) return;
  const bool shuffle = layer_param_.hdf5_data_param().shuffle();
  current_row_ = 0;
  if (file_names_.size() > 1) {
    if (++current_file_ == static_cast<int>(file_names_.size())) {
      current_file_ = 0;
      if (shuffle)
        std::shuffle(file_order_.begin(), file_order_.end(), Crema::rng());
    }
    LoadCurrentFile();  // draws a new row order when shuffling
  } else if (shuffle) {
    std::shuffle(row_order_.begin(), row_order_.end(), Crema::rng());
  }
}

void HDF5DataLayer::Forward_cpu(const std::vector<Blob*>& bottom,
                                const std::vector<Blob*>& top) {
  const int batch_size = top[0]->shape(0);
  for (int b = 0; b < batch_size; ++b) {
    for (size_t i = 0; i < top.size(); ++i) {
      const int dim = data_[i]->count(1);
      cpu_copy(dim, data_[i]->cpu_data() + row_order_[current_row_] * dim,
               top[i]->mutable_cpu_data() + b * dim);
    }
    Advance();
  }
}

// "file row n_files file_order... n_rows row_order...", as text.
std::string HDF5DataLayer::SaveState() const {
  std::ostringstream out;
  out << current_file_ << ' ' << current_row_ << ' ' << file_order_.size();
  for (int f : file_order_) out << ' ' << f;
  out << ' ' << row_order_.size();
  for (int r : row_order_) out << ' ' << r;
  return out.str();
}

void HDF5DataLayer::RestoreState(const std::string& state) {
  std::istringstream in(state);
  int file = 0, row = 0;
  size_t num_files = 0, num_rows = 0;
  in >> file >> row >> num_files;
  std::vector<int> files(num_files);
  for (int& f : files) in >> f;
  in >> num_rows;
  std::vector<int> rows(num_rows);
  for (int& r : rows) in >> r;
  if (!in || num_files != file_names_.size() || file < 0 ||
      file >= static_cast<int>(num_files)) {
    Fail("the saved reader state does not fit this layer's file list.");
  }
  file_order_ = files;
  current_file_ = file;
  if (loaded_file_ != file_order_[current_file_]) LoadCurrentFile();
  if (static_cast<int>(num_rows) != data_[0]->shape(0) || row < 0 ||
      row >= static_cast<int>(num_rows)) {
    Fail("the saved reader state does not fit file '",
         file_names_[file_order_[current_file_]], "'.");
  }
  row_order_ = rows;
  current_row_ = row;
}

CREMA_REGISTER_LAYER("HDF5Data", HDF5DataLayer);

}  // namespace crema
