// AnnotatedData (SSD fork): reads AnnotatedDatum records (an image and its
// boxes) from an LMDB (data_param.source) in key order, wrapping around, in
// a background thread. top[0]: batch_size x C x H x W after transform_param;
// top[1]: the boxes, 1 x 1 x G x 8, rows item_id, group_label, instance_id,
// xmin, ymin, xmax, ymax, difficult (normalised); a batch without boxes
// gives one row of -1, as the fork does.
//
// Of the fork's augmentations crema applies: transform_param's scale, mean
// and mirror (boxes flip with the image), resize_param WARP to
// height x width (images of another size are resized bilinearly), and the
// whole-image batch_sampler (no sampler, or one of scale 1 and aspect 1).
// The cropping samplers, distort_param, expand_param and noise_param are
// read but not applied (logged once); crop_size is an error, as boxes would
// have to follow the crop. label_map_file is not read: labels are the
// group_label values stored in the records.
#ifndef CREMA_LAYERS_ANNOTATED_DATA_LAYER_HPP_
#define CREMA_LAYERS_ANNOTATED_DATA_LAYER_HPP_

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "crema/data/db.hpp"
#include "crema/layers/base_data_layer.hpp"

namespace crema {

class AnnotatedDataLayer : public BasePrefetchingDataLayer {
 public:
  explicit AnnotatedDataLayer(const LayerParameter& param)
      : BasePrefetchingDataLayer(param) {}
  ~AnnotatedDataLayer() override;
  void LayerSetUp(const std::vector<Blob*>& bottom,
                  const std::vector<Blob*>& top) override;
  void DataLayerSetUp(const std::vector<Blob*>& bottom,
                      const std::vector<Blob*>& top) override;
  const char* type() const override { return "AnnotatedData"; }

 protected:
  void LoadBatch(Batch* batch) override;
  std::string ReaderState() const override;
  void RestoreReaderState(const std::string& state) override;

 private:
  // The record under the cursor, resized as resize_param asks.
  AnnotatedDatum CurrentRecord() const;
  void WarnUnapplied() const;
  template <typename... Args>
  [[noreturn]] void FailAt(const std::string& key, const Args&... args) const {
    Fail("reading '", layer_param_.data_param().source(), "', record '", key, "': ",
         args...);
  }

  std::unique_ptr<db::DB> db_;
  std::unique_ptr<db::Cursor> cursor_;
  bool mirror_ = false;
  int resize_h_ = 0, resize_w_ = 0;
  std::mt19937 mirror_rng_;
};

}  // namespace crema

#endif  // CREMA_LAYERS_ANNOTATED_DATA_LAYER_HPP_
