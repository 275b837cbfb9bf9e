#include "crema/layers/window_data_layer.hpp"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iterator>
#include <sstream>

#include "crema/common.hpp"
#include "crema/layer_registry.hpp"

namespace crema {

WindowDataLayer::~WindowDataLayer() { StopPrefetch(); }

void WindowDataLayer::ReadWindowFile(const std::string& source) {
  const WindowDataParameter& param = layer_param_.window_data_param();
  std::ifstream in(source);
  if (!in) Fail("cannot open the window file '", source, "'.");
  std::string hashtag;
  int index = 0;
  while (in >> hashtag) {
    const auto where = [&] {
      return StrCat("the window file '", source, "', image #", images_.size());
    };
    if (hashtag != "#" || !(in >> index)) {
      Fail(where(), ": expected '# image_index', found '", hashtag, "'.");
    }
    Image image;
    int num_windows = 0;
    if (!(in >> image.path >> image.channels >> image.height >> image.width >> num_windows)) {
      Fail(where(), ": expected the image path, channels, height, width and number of windows.");
    }
    if (image.channels != 1 && image.channels != 3) {
      Fail(where(), " ('", image.path, "'): images have 1 or 3 channels, not ", image.channels,
           ".");
    }
    if (channels_ == 0) channels_ = image.channels;
    if (image.channels != channels_) {
      Fail(where(), " ('", image.path, "') has ", image.channels,
           " channels but the first image has ", channels_, "; they must agree.");
    }
    image.path = param.root_folder() + image.path;
    if (param.cache_images()) {
      std::ifstream file(image.path, std::ios::binary);
      if (!file) Fail(where(), ": cannot read the image '", image.path, "'.");
      image.encoded.assign(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
    }
    for (int i = 0; i < num_windows; ++i) ReadWindow(in, StrCat(where(), ", window ", i));
    images_.push_back(std::move(image));
  }
  if (images_.empty()) Fail("the window file '", source, "' lists no images.");
}

void WindowDataLayer::ReadWindow(std::istream& in, const std::string& where) {
  const WindowDataParameter& param = layer_param_.window_data_param();
  Window window;
  window.image = static_cast<int>(images_.size());
  if (!(in >> window.label >> window.overlap >> window.x1 >> window.y1 >> window.x2 >>
        window.y2)) {
    Fail(where, ": expected 'class_index overlap x1 y1 x2 y2'.");
  }
  if (window.x2 < window.x1 || window.y2 < window.y1) {
    Fail(where, ": x2, y2 (", window.x2, ", ", window.y2, ") must not be less than x1, y1 (",
         window.x1, ", ", window.y1, ").");
  }
  if (window.overlap >= param.fg_threshold()) {
    if (window.label <= 0) {
      Fail(where, ": a foreground window (overlap ", window.overlap, " >= fg_threshold ",
           param.fg_threshold(), ") needs a class index above 0, not ", window.label, ".");
    }
    fg_windows_.push_back(window);
  } else if (window.overlap < param.bg_threshold()) {
    window.label = 0;
    window.overlap = 0;
    bg_windows_.push_back(window);
  }
}

void WindowDataLayer::DataLayerSetUp(const std::vector<Blob*>& bottom,
                                     const std::vector<Blob*>& top) {
  const WindowDataParameter& param = layer_param_.window_data_param();
  const TransformationParameter& transform = transformer_->param();
  const int batch_size = static_cast<int>(param.batch_size());
  if (batch_size <= 0) Fail("window_data_param.batch_size must be positive.");
  crop_size_ = static_cast<int>(transform.crop_size());
  if (crop_size_ <= 0) Fail("WindowData needs transform_param.crop_size (the warped size).");
  if (param.crop_mode() != "warp" && param.crop_mode() != "square") {
    Fail("window_data_param.crop_mode must be 'warp' or 'square', not '", param.crop_mode(),
         "'.");
  }
  if (2 * static_cast<int>(param.context_pad()) >= crop_size_) {
    Fail("window_data_param.context_pad (", param.context_pad(),
         ") must be less than half the crop size (", crop_size_, ").");
  }
  ReadWindowFile(param.source());
  const int num_fg = static_cast<int>(batch_size * param.fg_fraction());
  if (num_fg > 0 && fg_windows_.empty()) {
    Fail("the window file '", param.source(), "' has no foreground window (overlap >= ",
         param.fg_threshold(), ") to fill ", num_fg, " items of each batch.");
  }
  if (batch_size - num_fg > 0 && bg_windows_.empty()) {
    Fail("the window file '", param.source(), "' has no background window (overlap < ",
         param.bg_threshold(), ") to fill ", batch_size - num_fg, " items of each batch.");
  }
  LOG(INFO) << Describe() << ": " << images_.size() << " images, " << fg_windows_.size()
            << " foreground and " << bg_windows_.size() << " background windows in "
            << param.source();

  const Blob& mean = transformer_->data_mean();
  if (mean.count() > 0) {
    if (mean.channels() != channels_ || mean.height() < crop_size_ ||
        mean.width() < crop_size_) {
      Fail("the mean file '", transform.mean_file(), "' is ", mean.channels(), " x ",
           mean.height(), " x ", mean.width(), "; it needs ", channels_,
           " channels and at least ", crop_size_, " x ", crop_size_, " pixels.");
    }
  }
  mean_values_.assign(transform.mean_value().begin(), transform.mean_value().end());
  if (!mean_values_.empty()) {
    if (mean_values_.size() == 1) {
      mean_values_.resize(channels_, mean_values_[0]);
    } else if (static_cast<int>(mean_values_.size()) != channels_) {
      Fail("give one mean_value or one per channel (", channels_, "), not ",
           mean_values_.size(), ".");
    }
  }
  rng_.seed(Crema::rng()());

  top[0]->Reshape(std::vector<int>{batch_size, channels_, crop_size_, crop_size_});
  if (output_labels_) top[1]->Reshape(std::vector<int>{batch_size});
}

cv::Mat WindowDataLayer::LoadImage(const Image& image) const {
  const int flags = image.channels == 3 ? cv::IMREAD_COLOR : cv::IMREAD_GRAYSCALE;
  cv::Mat mat;
  if (!image.encoded.empty()) {
    mat = cv::imdecode(cv::Mat(1, static_cast<int>(image.encoded.size()), CV_8UC1,
                               const_cast<char*>(image.encoded.data())),
                       flags);
  } else {
    mat = cv::imread(image.path, flags);
  }
  if (mat.empty()) {
    Fail("could not read the image '", image.path, "' (listed in '",
         layer_param_.window_data_param().source(), "'): missing or not an image.");
  }
  return mat;
}

void WindowDataLayer::WarpWindow(const Window& window, bool mirror, int item,
                                 Blob* data) const {
  const WindowDataParameter& param = layer_param_.window_data_param();
  const Image& image = images_[window.image];
  const cv::Mat mat = LoadImage(image);
  const int crop = crop_size_;
  int x1 = window.x1, y1 = window.y1, x2 = window.x2, y2 = window.y2;
  int pad_w = 0, pad_h = 0, crop_w = crop, crop_h = crop;
  const int context_pad = static_cast<int>(param.context_pad());
  const bool square = param.crop_mode() == "square";
  if (context_pad > 0 || square) {
    // Grow the window so that, once warped, context_pad pixels of context
    // surround it; the part outside the image becomes padding.
    const float context_scale =
        static_cast<float>(crop) / static_cast<float>(crop - 2 * context_pad);
    float half_height = static_cast<float>(y2 - y1 + 1) / 2.0f;
    float half_width = static_cast<float>(x2 - x1 + 1) / 2.0f;
    const float center_x = static_cast<float>(x1) + half_width;
    const float center_y = static_cast<float>(y1) + half_height;
    if (square) half_height = half_width = std::max(half_height, half_width);
    x1 = static_cast<int>(std::round(center_x - half_width * context_scale));
    x2 = static_cast<int>(std::round(center_x + half_width * context_scale));
    y1 = static_cast<int>(std::round(center_y - half_height * context_scale));
    y2 = static_cast<int>(std::round(center_y + half_height * context_scale));
    const int unclipped_height = y2 - y1 + 1;
    const int unclipped_width = x2 - x1 + 1;
    const int pad_x1 = std::max(0, -x1);
    const int pad_y1 = std::max(0, -y1);
    const int pad_x2 = std::max(0, x2 - mat.cols + 1);
    const int pad_y2 = std::max(0, y2 - mat.rows + 1);
    x1 += pad_x1;
    x2 -= pad_x2;
    y1 += pad_y1;
    y2 -= pad_y2;
    if (x2 < x1 || y2 < y1) {
      Fail("a window of '", image.path, "' lies outside the image (", mat.cols, " x ",
           mat.rows, ").");
    }
    const float scale_x = static_cast<float>(crop) / static_cast<float>(unclipped_width);
    const float scale_y = static_cast<float>(crop) / static_cast<float>(unclipped_height);
    crop_w = static_cast<int>(std::round(static_cast<float>(x2 - x1 + 1) * scale_x));
    crop_h = static_cast<int>(std::round(static_cast<float>(y2 - y1 + 1) * scale_y));
    const int scaled_x1 = static_cast<int>(std::round(static_cast<float>(pad_x1) * scale_x));
    const int scaled_x2 = static_cast<int>(std::round(static_cast<float>(pad_x2) * scale_x));
    pad_h = static_cast<int>(std::round(static_cast<float>(pad_y1) * scale_y));
    // Mirroring swaps the left and right padding.
    pad_w = mirror ? scaled_x2 : scaled_x1;
    crop_h = std::max(1, std::min(crop_h, crop - pad_h));
    crop_w = std::max(1, std::min(crop_w, crop - pad_w));
  }
  if (x1 < 0 || y1 < 0 || x2 >= mat.cols || y2 >= mat.rows) {
    Fail("the window (", x1, ", ", y1, ", ", x2, ", ", y2, ") of '", image.path,
         "' does not fit in the image (", mat.cols, " x ", mat.rows, ").");
  }
  cv::Mat warped;
  cv::resize(mat(cv::Rect(x1, y1, x2 - x1 + 1, y2 - y1 + 1)), warped, cv::Size(crop_w, crop_h),
             0, 0, cv::INTER_LINEAR);
  if (mirror) cv::flip(warped, warped, 1);

  const float scale = transformer_->param().scale();
  const Blob& mean = transformer_->data_mean();
  const bool has_mean_file = mean.count() > 0;
  const int mean_h_off = has_mean_file ? (mean.height() - crop) / 2 : 0;
  const int mean_w_off = has_mean_file ? (mean.width() - crop) / 2 : 0;
  float* out = data->mutable_cpu_data() + data->offset(item);
  for (int h = 0; h < crop_h; ++h) {
    const uchar* row = warped.ptr<uchar>(h);
    for (int w = 0; w < crop_w; ++w) {
      for (int c = 0; c < channels_; ++c) {
        const int y = h + pad_h, x = w + pad_w;
        float pixel = static_cast<float>(row[w * channels_ + c]);
        if (has_mean_file) {
          pixel -= mean.cpu_data()[(c * mean.height() + y + mean_h_off) * mean.width() + x +
                                   mean_w_off];
        } else if (!mean_values_.empty()) {
          pixel -= mean_values_[c];
        }
        out[(c * crop + y) * crop + x] = pixel * scale;
      }
    }
  }
}

void WindowDataLayer::LoadBatch(Batch* batch) {
  const WindowDataParameter& param = layer_param_.window_data_param();
  const int batch_size = static_cast<int>(param.batch_size());
  const int num_fg = static_cast<int>(batch_size * param.fg_fraction());
  batch->data_.Reshape(std::vector<int>{batch_size, channels_, crop_size_, crop_size_});
  std::fill(batch->data_.mutable_cpu_data(),
            batch->data_.mutable_cpu_data() + batch->data_.count(), 0.f);
  if (output_labels_) batch->label_.Reshape(std::vector<int>{batch_size});
  const bool mirror = transformer_->param().mirror();
  // Background windows first, then foreground ones, as Caffe orders them.
  int item = 0;
  for (const bool fg : {false, true}) {
    const std::vector<Window>& pool = fg ? fg_windows_ : bg_windows_;
    const int count = fg ? num_fg : batch_size - num_fg;
    for (int i = 0; i < count; ++i, ++item) {
      const Window& window = pool[rng_() % pool.size()];
      const bool do_mirror = mirror && rng_() % 2;
      WarpWindow(window, do_mirror, item, &batch->data_);
      if (output_labels_) batch->label_.mutable_cpu_data()[item] = static_cast<float>(window.label);
    }
  }
}

std::string WindowDataLayer::ReaderState() const {
  std::ostringstream os;
  os << rng_;
  return PackState(os.str());
}

void WindowDataLayer::RestoreReaderState(const std::string& state) {
  std::istringstream is(UnpackState(state));
  RandomEngine rng;
  is >> rng;
  if (is.fail()) Fail("the saved reader state is not a window sampler's.");
  rng_ = rng;
}

CREMA_REGISTER_LAYER("WindowData", WindowDataLayer);

}  // namespace crema
