// HDF5Output: writes its two bottoms to hdf5_output_param.file_name as the
// datasets "data" and "label" (Caffe's names). The file is created (or
// truncated) at setup; every Forward appends its batch as new rows, so a
// run of many iterations collects all of them (Caffe's layer could only
// write one batch). The file is flushed after every batch. No tops, no
// gradient.
#ifndef CREMA_LAYERS_HDF5_OUTPUT_LAYER_HPP_
#define CREMA_LAYERS_HDF5_OUTPUT_LAYER_HPP_

#include <cstdint>
#include <string>
#include <vector>

#include "crema/layer.hpp"

namespace crema {

class HDF5OutputLayer : public Layer {
 public:
  explicit HDF5OutputLayer(const LayerParameter& param) : Layer(param) {}
  ~HDF5OutputLayer() override;
  void LayerSetUp(const std::vector<Blob*>& bottom,
                  const std::vector<Blob*>& top) override;
  void Reshape(const std::vector<Blob*>& bottom,
               const std::vector<Blob*>& top) override;
  const char* type() const override { return "HDF5Output"; }
  int ExactNumBottomBlobs() const override { return 2; }
  int ExactNumTopBlobs() const override { return 0; }

  const std::string& file_name() const { return file_name_; }

 protected:
  void Forward_cpu(const std::vector<Blob*>& bottom,
                   const std::vector<Blob*>& top) override;
  void Backward_cpu(const std::vector<Blob*>& top,
                    const std::vector<bool>& propagate_down,
                    const std::vector<Blob*>& bottom) override {}

 private:
  void Append(int index, const Blob& blob);

  std::string file_name_;
  int64_t file_id_ = -1;  // an hid_t; kept opaque so HDF5 stays out of headers
  std::vector<int64_t> dataset_ids_;
};

}  // namespace crema

#endif  // CREMA_LAYERS_HDF5_OUTPUT_LAYER_HPP_
