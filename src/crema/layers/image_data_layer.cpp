#include "crema/layers/image_data_layer.hpp"

#include <numeric>
#include <sstream>

#include "crema/data/datum.hpp"
#include "crema/data/image_set.hpp"
#include "crema/layer_registry.hpp"

namespace crema {

ImageDataLayer::~ImageDataLayer() { StopPrefetch(); }

void ImageDataLayer::DataLayerSetUp(const std::vector<Blob*>& bottom,
                                    const std::vector<Blob*>& top) {
  const ImageDataParameter& param = layer_param_.image_data_param();
  const int new_height = static_cast<int>(param.new_height());
  const int new_width = static_cast<int>(param.new_width());
  if ((new_height == 0) != (new_width == 0)) {
    Fail("image_data_param needs both new_height and new_width, or neither (got ",
         new_height, " and ", new_width, ").");
  }
  const int batch_size = static_cast<int>(param.batch_size());
  if (batch_size <= 0) Fail("image_data_param.batch_size must be positive.");
  try {
    lines_ = ReadImageList(param.source());
  } catch (const Error& e) {
    Fail(e.what());
  }
  if (lines_.empty()) Fail("the image list '", param.source(), "' is empty.");
  LOG(INFO) << Describe() << ": " << lines_.size() << " images in " << param.source();

  shuffle_rng_.seed(Crema::rng()());
  StartEpoch();
  if (param.rand_skip() > 0) {
    position_ = (Crema::rng()() % param.rand_skip()) % lines_.size();
  }

  const cv::Mat image = ReadCurrentImage();
  std::vector<int> shape;
  try {
    shape = transformer_->InferBlobShape(image);
    Blob trial(shape);
    const std::string rng = transformer_->SaveState();
    transformer_->Transform(image, &trial);
    transformer_->RestoreState(rng);
  } catch (const Error& e) {
    Fail("image '", CurrentPath(), "': ", WithoutOwner(e));
  }
  shape[0] = batch_size;
  top[0]->Reshape(shape);
  if (output_labels_) top[1]->Reshape(std::vector<int>{batch_size});
}

void ImageDataLayer::StartEpoch() {
  std::ostringstream os;
  os << shuffle_rng_;
  epoch_rng_state_ = os.str();
  order_.resize(lines_.size());
  std::iota(order_.begin(), order_.end(), size_t{0});
  if (layer_param_.image_data_param().shuffle()) {
    for (size_t i = order_.size(); i > 1; --i) {
      std::swap(order_[i - 1], order_[shuffle_rng_() % i]);
    }
  }
  position_ = 0;
}

std::string ImageDataLayer::CurrentPath() const {
  return layer_param_.image_data_param().root_folder() + lines_[order_[position_]].first;
}

cv::Mat ImageDataLayer::ReadCurrentImage() const {
  const ImageDataParameter& param = layer_param_.image_data_param();
  cv::Mat image = ReadImageToCVMat(CurrentPath(), static_cast<int>(param.new_height()),
                                   static_cast<int>(param.new_width()), param.is_color());
  if (image.empty()) {
    Fail("could not read the image '", CurrentPath(), "' (listed in '", param.source(),
         "'): missing or not an image.");
  }
  return image;
}

void ImageDataLayer::LoadBatch(Batch* batch) {
  const int batch_size = static_cast<int>(layer_param_.image_data_param().batch_size());
  Blob one;
  for (int item = 0; item < batch_size; ++item) {
    const cv::Mat image = ReadCurrentImage();
    try {
      if (item == 0) {
        std::vector<int> shape = transformer_->InferBlobShape(image);
        one.Reshape(shape);
        shape[0] = batch_size;
        batch->data_.Reshape(shape);
        if (output_labels_) batch->label_.Reshape(std::vector<int>{batch_size});
      }
      transformer_->Transform(image, &one);
    } catch (const Error& e) {
      Fail("image '", CurrentPath(), "': ", WithoutOwner(e));
    }
    std::copy(one.cpu_data(), one.cpu_data() + one.count(),
              batch->data_.mutable_cpu_data() + batch->data_.offset(item));
    if (output_labels_) {
      batch->label_.mutable_cpu_data()[item] =
          static_cast<float>(lines_[order_[position_]].second);
    }
    if (++position_ >= lines_.size()) StartEpoch();
  }
}

std::string ImageDataLayer::ReaderState() const {
  return PackState(StrCat(position_, '\n', epoch_rng_state_));
}

void ImageDataLayer::RestoreReaderState(const std::string& state) {
  std::istringstream is(UnpackState(state));
  size_t position = 0;
  RandomEngine rng;
  is >> position >> rng;
  if (is.fail() || position >= lines_.size()) {
    Fail("the saved reader state does not fit the image list '",
         layer_param_.image_data_param().source(), "' (", lines_.size(), " images).");
  }
  shuffle_rng_ = rng;
  StartEpoch();
  position_ = position;
}

CREMA_REGISTER_LAYER("ImageData", ImageDataLayer);

}  // namespace crema
