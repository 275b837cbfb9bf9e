#include "crema/layers/annotated_data_layer.hpp"

#include <algorithm>

#include <opencv2/imgproc.hpp>

#include "crema/data/datum.hpp"
#include "crema/layer_registry.hpp"

namespace crema {

AnnotatedDataLayer::~AnnotatedDataLayer() { StopPrefetch(); }

void AnnotatedDataLayer::LayerSetUp(const std::vector<Blob*>& bottom,
                                    const std::vector<Blob*>& top) {
  // Mirroring is done here, so boxes can follow the image.
  TransformationParameter* transform = layer_param_.mutable_transform_param();
  if (transform->crop_size() > 0) {
    Fail("transform_param.crop_size is not supported with AnnotatedData; ",
         "use resize_param to size the images.");
  }
  mirror_ = transform->mirror() && phase_ == TRAIN;
  transform->set_mirror(false);
  const ResizeParameter& resize = transform->resize_param();
  if (transform->has_resize_param() && resize.prob() > 0) {
    if (resize.resize_mode() != ResizeParameter::WARP) {
      Fail("resize_param.resize_mode: only WARP is supported.");
    }
    resize_h_ = static_cast<int>(resize.height());
    resize_w_ = static_cast<int>(resize.width());
  }
  mirror_rng_.seed(static_cast<unsigned>(Crema::rng()()));
  WarnUnapplied();
  BasePrefetchingDataLayer::LayerSetUp(bottom, top);
}

void AnnotatedDataLayer::WarnUnapplied() const {
  const TransformationParameter& t = layer_param_.transform_param();
  std::vector<std::string> ignored;
  if (t.has_distort_param()) ignored.push_back("distort_param");
  if (t.has_expand_param()) ignored.push_back("expand_param");
  if (t.has_noise_param()) ignored.push_back("noise_param");
  for (const BatchSampler& s : layer_param_.annotated_data_param().batch_sampler()) {
    const Sampler& r = s.sampler();
    if (r.min_scale() != 1.f || r.max_scale() != 1.f || r.min_aspect_ratio() != 1.f ||
        r.max_aspect_ratio() != 1.f) {
      ignored.push_back("cropping batch_sampler");
      break;
    }
  }
  if (ignored.empty()) return;
  std::string list;
  for (const std::string& name : ignored) list += (list.empty() ? "" : ", ") + name;
  LOG(WARNING) << Describe() << ": not applied (whole images are used): " << list;
}

void AnnotatedDataLayer::DataLayerSetUp(const std::vector<Blob*>& bottom,
                                        const std::vector<Blob*>& top) {
  const DataParameter& param = layer_param_.data_param();
  const std::string& source = param.source();
  if (source.empty()) Fail("data_param.source is empty; give the path of an LMDB.");
  const int batch_size = static_cast<int>(param.batch_size());
  if (batch_size <= 0) Fail("data_param.batch_size must be positive.");
  try {
    db_ = db::OpenDB("lmdb", source, db::Mode::READ);
    cursor_ = db_->NewCursor();
  } catch (const Error& e) {
    Fail("cannot open data source '", source, "': ", e.what());
  }
  if (!cursor_->valid()) Fail("data source '", source, "' holds no records.");
  const std::string key = cursor_->key();
  const AnnotatedDatum record = CurrentRecord();
  std::vector<int> shape;
  try {
    shape = transformer_->InferBlobShape(record.datum());
  } catch (const Error& e) {
    FailAt(key, WithoutOwner(e));
  }
  shape[0] = batch_size;
  top[0]->Reshape(shape);
  LOG(INFO) << Describe() << ": output data size " << top[0]->shape_string();
  if (output_labels_) top[1]->Reshape(std::vector<int>{1, 1, 1, 8});
}

AnnotatedDatum AnnotatedDataLayer::CurrentRecord() const {
  AnnotatedDatum record;
  if (!record.ParseFromString(cursor_->value())) {
    FailAt(cursor_->key(), "the value is not an AnnotatedDatum message.");
  }
  if (resize_h_ > 0 && resize_w_ > 0 &&
      (record.datum().encoded() || record.datum().height() != resize_h_ ||
       record.datum().width() != resize_w_)) {
    cv::Mat image = DecodeDatumToCVMatNative(record.datum());
    if (image.empty()) FailAt(cursor_->key(), "the image cannot be decoded.");
    cv::Mat resized;
    cv::resize(image, resized, cv::Size(resize_w_, resize_h_), 0, 0, cv::INTER_LINEAR);
    const int label = record.datum().label();
    CVMatToDatum(resized, record.mutable_datum());
    record.mutable_datum()->set_label(label);
  }
  return record;
}

namespace {

// Mirrors one C x H x W example left to right.
void MirrorItem(float* item, int channels, int height, int width) {
  for (int r = 0; r < channels * height; ++r) {
    std::reverse(item + r * width, item + (r + 1) * width);
  }
}

}  // namespace

void AnnotatedDataLayer::LoadBatch(Batch* batch) {
  const int batch_size = static_cast<int>(layer_param_.data_param().batch_size());
  std::vector<float> rows;
  for (int item = 0; item < batch_size; ++item) {
    const std::string key = cursor_->key();
    const AnnotatedDatum record = CurrentRecord();
    try {
      if (item == 0) {
        std::vector<int> shape = transformer_->InferBlobShape(record.datum());
        shape[0] = batch_size;
        batch->data_.Reshape(shape);
      }
      transformer_->Transform(record.datum(),
                              batch->data_.mutable_cpu_data() + batch->data_.offset(item));
    } catch (const Error& e) {
      FailAt(key, WithoutOwner(e));
    }
    const bool flip = mirror_ && (mirror_rng_() & 1u);
    if (flip) {
      MirrorItem(batch->data_.mutable_cpu_data() + batch->data_.offset(item),
                 batch->data_.shape(1), batch->data_.shape(2), batch->data_.shape(3));
    }
    for (const AnnotationGroup& group : record.annotation_group()) {
      for (const Annotation& a : group.annotation()) {
        const NormalizedBBox& b = a.bbox();
        const float xmin = flip ? 1.f - b.xmax() : b.xmin();
        const float xmax = flip ? 1.f - b.xmin() : b.xmax();
        rows.insert(rows.end(), {static_cast<float>(item),
                                 static_cast<float>(group.group_label()),
                                 static_cast<float>(a.instance_id()), xmin, b.ymin(),
                                 xmax, b.ymax(), b.difficult() ? 1.f : 0.f});
      }
    }
    cursor_->Next();
  }
  if (!output_labels_) return;
  if (rows.empty()) rows.assign(8, -1.f);
  batch->label_.Reshape(std::vector<int>{1, 1, static_cast<int>(rows.size() / 8), 8});
  std::copy(rows.begin(), rows.end(), batch->label_.mutable_cpu_data());
}

std::string AnnotatedDataLayer::ReaderState() const { return PackState(cursor_->key()); }

void AnnotatedDataLayer::RestoreReaderState(const std::string& state) {
  const std::string key = UnpackState(state);
  if (!cursor_->Seek(key)) {
    Fail("cannot resume reading '", layer_param_.data_param().source(),
         "': it holds no record with the saved key '", key, "'.");
  }
}

CREMA_REGISTER_LAYER("AnnotatedData", AnnotatedDataLayer);

}  // namespace crema
