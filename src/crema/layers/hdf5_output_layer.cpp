#include "crema/layers/hdf5_output_layer.hpp"

#include <hdf5.h>

#include <algorithm>

#include "crema/layer_registry.hpp"

namespace crema {
namespace {

const char* const kDatasetNames[2] = {"data", "label"};

}  // namespace

HDF5OutputLayer::~HDF5OutputLayer() {
  for (int64_t id : dataset_ids_) {
    if (id >= 0) H5Dclose(id);
  }
  if (file_id_ >= 0) H5Fclose(file_id_);
}

void HDF5OutputLayer::LayerSetUp(const std::vector<Blob*>& bottom,
                                 const std::vector<Blob*>& top) {
  file_name_ = layer_param_.hdf5_output_param().file_name();
  if (file_name_.empty()) Fail("hdf5_output_param.file_name is empty.");
  H5E_auto2_t func = nullptr;
  void* data = nullptr;
  H5Eget_auto2(H5E_DEFAULT, &func, &data);
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  file_id_ =
      H5Fcreate(file_name_.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  H5Eset_auto2(H5E_DEFAULT, func, data);
  if (file_id_ < 0) Fail("cannot create HDF5 file '", file_name_, "'.");
  dataset_ids_.assign(2, -1);
}

void HDF5OutputLayer::Reshape(const std::vector<Blob*>& bottom,
                              const std::vector<Blob*>& top) {
  if (bottom[0]->num_axes() < 1 || bottom[1]->num_axes() < 1 ||
      bottom[0]->shape(0) != bottom[1]->shape(0)) {
    Fail(
        "the data and label bottoms must have the same number of rows "
        "(first axis); got ",
        bottom[0]->shape_string(), " and ", bottom[1]->shape_string(), ".");
  }
}

void HDF5OutputLayer::Forward_cpu(const std::vector<Blob*>& bottom,
                                  const std::vector<Blob*>& top) {
  Append(0, *bottom[0]);
  Append(1, *bottom[1]);
  H5Fflush(file_id_, H5F_SCOPE_LOCAL);
}

// The datasets grow along their first axis (chunked, unlimited), one batch
// per Forward; the other axes are fixed by the first batch.
void HDF5OutputLayer::Append(int index, const Blob& blob) {
  const int rank = blob.num_axes();
  std::vector<hsize_t> batch_dims(blob.shape().begin(), blob.shape().end());
  hid_t& set = dataset_ids_[index];
  if (set < 0) {
    std::vector<hsize_t> zero = batch_dims, max_dims = batch_dims;
    zero[0] = 0;
    max_dims[0] = H5S_UNLIMITED;
    std::vector<hsize_t> chunk = batch_dims;
    chunk[0] = std::max<hsize_t>(1, batch_dims[0]);
    const hid_t space = H5Screate_simple(rank, zero.data(), max_dims.data());
    const hid_t props = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(props, rank, chunk.data());
    set = H5Dcreate2(file_id_, kDatasetNames[index], H5T_NATIVE_FLOAT, space,
                     H5P_DEFAULT, props, H5P_DEFAULT);
    H5Pclose(props);
    H5Sclose(space);
    if (set < 0) {
      Fail("cannot create dataset '", kDatasetNames[index], "' in '",
           file_name_, "'.");
    }
  }
  hid_t space = H5Dget_space(set);
  std::vector<hsize_t> dims(rank);
  if (H5Sget_simple_extent_ndims(space) != rank) {
    H5Sclose(space);
    Fail("bottom ", index, " (", kDatasetNames[index],
         ") changed its number "
         "of axes to ",
         blob.shape_string(), "; the file's dataset keeps its shape.");
  }
  H5Sget_simple_extent_dims(space, dims.data(), nullptr);
  H5Sclose(space);
  for (int a = 1; a < rank; ++a) {
    if (dims[a] != batch_dims[a]) {
      Fail("bottom ", index, " (", kDatasetNames[index], ") changed shape to ",
           blob.shape_string(), "; only the number of rows may change.");
    }
  }
  const hsize_t start_row = dims[0];
  dims[0] += batch_dims[0];
  H5Dset_extent(set, dims.data());
  space = H5Dget_space(set);
  std::vector<hsize_t> start(rank, 0);
  start[0] = start_row;
  H5Sselect_hyperslab(space, H5S_SELECT_SET, start.data(), nullptr,
                      batch_dims.data(), nullptr);
  const hid_t memory = H5Screate_simple(rank, batch_dims.data(), nullptr);
  const herr_t status = H5Dwrite(set, H5T_NATIVE_FLOAT, memory, space,
                                 H5P_DEFAULT, blob.cpu_data());
  H5Sclose(memory);
  H5Sclose(space);
  if (status < 0) Fail("writing to '", file_name_, "' failed.");
}

CREMA_REGISTER_LAYER("HDF5Output", HDF5OutputLayer);

}  // namespace crema
