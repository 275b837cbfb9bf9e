// HDF5Data: reads batches from HDF5 files, as Caffe does.
//
// hdf5_data_param.source names a text file listing one .h5 file per line
// (a relative path is taken from the working directory, else from the list
// file's folder). Each top reads the dataset named like the top (float, or
// converted to float); every dataset of a file has the same number of rows
// (its first axis). A top is batch_size x the dataset's other axes. Rows are
// read in order, moving to the next file at the end of one and back to the
// first after the last; with shuffle, the files are visited in a random
// order (redrawn on every pass) and the rows of each file too.
//
// Resumable: the file and row to read next, with both orders, are saved in
// solver snapshots (StatefulLayer).
#ifndef CREMA_LAYERS_HDF5_DATA_LAYER_HPP_
#define CREMA_LAYERS_HDF5_DATA_LAYER_HPP_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "crema/layer.hpp"
#include "crema/stateful.hpp"

namespace crema {

class HDF5DataLayer : public Layer, public StatefulLayer {
 public:
  explicit HDF5DataLayer(const LayerParameter& param) : Layer(param) {}
  void LayerSetUp(const std::vector<Blob*>& bottom,
                  const std::vector<Blob*>& top) override;
  void Reshape(const std::vector<Blob*>& bottom,
               const std::vector<Blob*>& top) override {}
  const char* type() const override { return "HDF5Data"; }
  int ExactNumBottomBlobs() const override { return 0; }
  int MinTopBlobs() const override { return 1; }

  std::string SaveState() const override;
  void RestoreState(const std::string& state) override;

 protected:
  void Forward_cpu(const std::vector<Blob*>& bottom,
                   const std::vector<Blob*>& top) override;
  void Backward_cpu(const std::vector<Blob*>& top,
                    const std::vector<bool>& propagate_down,
                    const std::vector<Blob*>& bottom) override {}

 private:
  // Reads every top's dataset from file_names_[file_order_[current_file_]].
  void LoadCurrentFile();
  // Moves to the next row (and file) after one was copied.
  void Advance();

  std::vector<std::string> file_names_;
  std::vector<int> file_order_;
  std::vector<int> row_order_;
  int current_file_ = 0;
  int current_row_ = 0;
  int loaded_file_ = -1;  // index into file_names_ of what data_ holds
  std::vector<std::unique_ptr<Blob>> data_;  // one per top
};

// Reads the named datasets of an open HDF5 file (hid_t file_id) as floats,
// one blob each, as the layer does: every dataset needs rows, the same
// number of them, and values that the file actually stores. Throws
// crema::Error naming the dataset and `name`.
std::vector<std::unique_ptr<Blob>> ReadHDF5Datasets(int64_t file_id, const std::string& name,
                                                    const std::vector<std::string>& datasets);
// The same for the bytes of an HDF5 file held in memory.
std::vector<std::unique_ptr<Blob>> ReadHDF5Image(const std::string& bytes, const std::string& name,
                                                 const std::vector<std::string>& datasets);

}  // namespace crema

#endif  // CREMA_LAYERS_HDF5_DATA_LAYER_HPP_
