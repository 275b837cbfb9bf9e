#include "crema/classifier.hpp"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <fstream>
#include <numeric>
#include <set>

#include "crema/common.hpp"
#include "crema/data/image_header.hpp"
#include "crema/io/proto_io.hpp"
#include "crema/io/upgrade_proto.hpp"
#include "crema/precision.hpp"

namespace crema {
namespace {

void CheckChannelSwap(const std::vector<int>& channel_swap, int channels) {
  std::vector<int> sorted = channel_swap;
  std::sort(sorted.begin(), sorted.end());
  std::vector<int> identity(channels);
  std::iota(identity.begin(), identity.end(), 0);
  if (sorted != identity) {
    Throw("channel_swap must be a permutation of 0..", channels - 1, " for a net with ",
          channels, " input channels.");
  }
}

}  // namespace

void CopyWeightsChecked(Net* net, const std::string& weights_file) {
  net->CopyTrainedLayersFrom(weights_file);
}

std::vector<std::string> ReadLabelsFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) Throw("Cannot open the labels file '", path, "'.");
  return ParseLabels(in);
}

std::vector<std::string> ParseLabels(std::istream& in) {
  std::vector<std::string> labels;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    labels.push_back(line);
  }
  while (!labels.empty() && labels.back().empty()) labels.pop_back();
  return labels;
}

void ReadMeanFile(const std::string& path, Blob* mean) {
  if (!FileExists(path)) Throw("The mean file '", path, "' does not exist.");
  BlobProto proto;
  try {
    ReadProtoFromBinaryFile(path, &proto);
  } catch (const Error& e) {
    Throw("Cannot read the mean file '", path, "' (a .binaryproto BlobProto as "
          "compute_image_mean writes): ", e.what());
  }
  MeanFromProto(proto, path, mean);
}

void MeanFromProto(const BlobProto& proto, const std::string& path, Blob* mean) {
  const std::vector<int> shape = BlobProtoShape(proto);
  const int64_t values = proto.data_size() > 0 ? proto.data_size() : proto.double_data_size();
  // Multiplied only while it cannot overflow: a shape whose count passes the
  // number of values is wrong whatever it is.
  int64_t count = shape.empty() ? 0 : 1;
  for (int dim : shape) {
    count = (dim <= 0 || count > values) ? 0 : count * dim;
  }
  if (shape.empty() || shape.size() > 4 || count <= 0 || values != count) {
    Throw("The mean file '", path, "' is not a mean image: shape ", ShapeString(shape),
          " with ", values, " values.");
  }
  mean->FromProto(proto, true);
  if (mean->num_axes() != 4) {
    std::vector<int> four(4 - mean->num_axes(), 1);
    four.insert(four.end(), mean->shape().begin(), mean->shape().end());
    mean->Reshape(four);
  }
}

Classifier::Classifier(const ClassifierOptions& options) : options_(options) {
  if (!FileExists(options_.model_file)) {
    Throw("The model file '", options_.model_file, "' does not exist.");
  }
  NetParameter param;
  ReadNetParamsFromTextFile(options_.model_file, &param);
  param.mutable_state()->set_phase(TEST);
  SetNetPrecision(options_.precision, options_.calibration_file,
                  options_.weights_files.empty() ? "" : options_.weights_files[0], &param);
  net_ = std::make_unique<Net>(param);
  for (const std::string& weights : options_.weights_files) CopyWeightsChecked(net_.get(), weights);
  if (net_->num_inputs() != 1) {
    Throw("The net '", options_.model_file, "' has ", net_->num_inputs(),
          " inputs; a classifier needs a deploy net with exactly one (an Input layer or "
          "input: / input_shape).");
  }
  input_ = net_->input_blobs()[0];
  if (input_->num_axes() != 4) {
    Throw("The net's input is ", input_->shape_string(), "; a classifier needs N x C x H x W.");
  }
  channels_ = input_->channels();
  height_ = input_->height();
  width_ = input_->width();
  if (channels_ != 1 && channels_ != 3) {
    Throw("The net's input has ", channels_, " channels; images are read as grayscale (1) "
          "or colour (3).");
  }
  if ((options_.resize_height > 0) != (options_.resize_width > 0)) {
    Throw("Give both resize dimensions or neither.");
  }
  pre_height_ = options_.resize_height > 0 ? options_.resize_height : height_;
  pre_width_ = options_.resize_width > 0 ? options_.resize_width : width_;
  if (pre_height_ < height_ || pre_width_ < width_) {
    Throw("The resize size ", pre_height_, " x ", pre_width_, " is smaller than the net's input ",
          height_, " x ", width_, "; images are center-cropped after resizing.");
  }
  if (!options_.channel_swap.empty()) CheckChannelSwap(options_.channel_swap, channels_);
  if (options_.raw_scale <= 0) Throw("raw_scale must be positive.");
  SetUpMean();

  output_name_ = options_.output_blob;
  if (output_name_.empty()) {
    if (net_->num_outputs() == 0) Throw("The net has no output blob to read scores from.");
    output_name_ = net_->blob_names()[net_->output_blob_indices().back()];
  }
  const Blob& output = *net_->blob_by_name(output_name_);
  net_->ShareActivationMemory({output_name_});  // only the scores are read
  net_->set_plain_after_pass(false);             // and converted (below)
  num_classes_ = output.count() / output.shape(0);
  if (!options_.labels_file.empty()) {
    labels_ = ReadLabelsFile(options_.labels_file);
    if (static_cast<int>(labels_.size()) != num_classes_) {
      Throw("The labels file '", options_.labels_file, "' has ", labels_.size(),
            " lines but the net's output '", output_name_, "' has ", num_classes_,
            " classes; give one label per line, in label order.");
    }
  }
}

void Classifier::SetUpMean() {
  const int plane = pre_height_ * pre_width_;
  if (!options_.mean_file.empty() && !options_.mean_values.empty()) {
    Throw("Give a mean file or mean values, not both.");
  }
  if (!options_.mean_values.empty()) {
    const int n = static_cast<int>(options_.mean_values.size());
    if (n != 1 && n != channels_) {
      Throw(n, " mean values were given but the net's input has ", channels_,
            " channels; give one value or one per channel.");
    }
    mean_image_.resize(static_cast<size_t>(channels_) * plane);
    for (int c = 0; c < channels_; ++c) {
      std::fill_n(mean_image_.begin() + static_cast<size_t>(c) * plane, plane,
                  options_.mean_values[n == 1 ? 0 : c]);
    }
    return;
  }
  if (options_.mean_file.empty()) return;
  Blob mean;
  ReadMeanFile(options_.mean_file, &mean);
  if (mean.channels() != channels_) {
    Throw("The mean file '", options_.mean_file, "' has ", mean.channels(), " channel(s) (",
          mean.shape_string(), ") but the net's input has ", channels_,
          "; compute the mean on images of the net's kind (",
          channels_ == 1 ? "grayscale" : "colour", ").");
  }
  mean_image_.resize(static_cast<size_t>(channels_) * plane);
  for (int c = 0; c < channels_; ++c) {
    cv::Mat channel(mean.height(), mean.width(), CV_32FC1,
                    const_cast<float*>(mean.cpu_data() + mean.offset(0, c)));
    cv::Mat target(pre_height_, pre_width_, CV_32FC1,
                   mean_image_.data() + static_cast<size_t>(c) * plane);
    if (channel.rows == pre_height_ && channel.cols == pre_width_) {
      channel.copyTo(target);
    } else {
      LOG_FIRST_N(INFO, 1) << "Resizing the mean from " << mean.height() << " x "
                           << mean.width() << " to " << pre_height_ << " x " << pre_width_;
      cv::resize(channel, target, target.size(), 0, 0, cv::INTER_LINEAR);
    }
  }
}

cv::Mat Classifier::ReadImage(const std::string& path) const {
  if (!FileExists(path)) Throw("Cannot read the image '", path, "': it does not exist.");
  return DecodeImage(ReadFileToString(path), path);
}

cv::Mat Classifier::DecodeImage(const std::string& bytes, const std::string& path) const {
  CheckImageHeaderSize(bytes, StrCat("The image '", path, "'"));
  cv::Mat image;
  try {
    image = cv::imdecode(std::vector<uchar>(bytes.begin(), bytes.end()),
                         channels_ == 1 ? cv::IMREAD_GRAYSCALE : cv::IMREAD_COLOR);
  } catch (const cv::Exception& e) {
    Throw("Cannot decode the image '", path, "': ", e.what());
  }
  if (image.empty()) Throw("Cannot read the image '", path, "' (not an image OpenCV decodes).");
  return image;
}

cv::Mat Classifier::ToInputChannels(const cv::Mat& image) const {
  if (image.empty()) Throw("An empty image was given to the classifier.");
  cv::Mat converted;
  const int c = image.channels();
  if (c == channels_) {
    converted = image;
  } else if (channels_ == 1 && c == 3) {
    cv::cvtColor(image, converted, cv::COLOR_BGR2GRAY);
  } else if (channels_ == 1 && c == 4) {
    cv::cvtColor(image, converted, cv::COLOR_BGRA2GRAY);
  } else if (channels_ == 3 && c == 1) {
    cv::cvtColor(image, converted, cv::COLOR_GRAY2BGR);
  } else if (channels_ == 3 && c == 4) {
    cv::cvtColor(image, converted, cv::COLOR_BGRA2BGR);
  } else {
    Throw("Cannot turn an image of ", c, " channels into the net's ", channels_, ".");
  }
  if (converted.depth() != CV_8U) {
    Throw("The classifier takes 8-bit images (pixel values 0..255).");
  }
  return converted;
}

void Classifier::Preprocess(const cv::Mat& image, float* out) const {
  cv::Mat sized = ToInputChannels(image);
  if (sized.rows != pre_height_ || sized.cols != pre_width_) {
    cv::resize(sized, sized, cv::Size(pre_width_, pre_height_), 0, 0, cv::INTER_LINEAR);
  }
  const int h_off = (pre_height_ - height_) / 2;
  const int w_off = (pre_width_ - width_) / 2;
  const float raw = options_.raw_scale / 255.f;
  const int plane = pre_height_ * pre_width_;
  for (int c = 0; c < channels_; ++c) {
    const int source_c = options_.channel_swap.empty() ? c : options_.channel_swap[c];
    const float* mean =
        mean_image_.empty() ? nullptr : mean_image_.data() + static_cast<size_t>(c) * plane;
    for (int h = 0; h < height_; ++h) {
      const uint8_t* row = sized.ptr<uint8_t>(h + h_off);
      for (int w = 0; w < width_; ++w) {
        float value = row[(w + w_off) * channels_ + source_c] * raw;
        if (mean) value -= mean[(h + h_off) * pre_width_ + w + w_off];
        out[(c * height_ + h) * width_ + w] = value * options_.scale;
      }
    }
  }
}

std::vector<std::vector<Prediction>> Classifier::Classify(const std::vector<cv::Mat>& images,
                                                          int top_k, int batch) {
  if (batch < 1) Throw("The batch size must be at least 1 (got ", batch, ").");
  if (top_k < 1) Throw("top_k must be at least 1 (got ", top_k, ").");
  top_k = std::min(top_k, num_classes_);
  std::vector<std::vector<Prediction>> results;
  for (size_t start = 0; start < images.size(); start += batch) {
    const int n = static_cast<int>(std::min<size_t>(batch, images.size() - start));
    input_->Reshape(n, channels_, height_, width_);
    net_->Reshape();
    float* data = input_->mutable_cpu_data();
    for (int i = 0; i < n; ++i) Preprocess(images[start + i], data + input_->offset(i));
    net_->Forward();
    Blob& output = *net_->blob_by_name(output_name_);
    output.ToPlain();
    const int dim = output.count() / output.shape(0);
    if (output.shape(0) != n || dim != num_classes_) {
      Throw("The output '", output_name_, "' is ", output.shape_string(), " for a batch of ", n,
            "; expected ", n, " x ", num_classes_, ".");
    }
    for (int i = 0; i < n; ++i) {
      const float* scores = output.cpu_data() + static_cast<size_t>(i) * dim;
      std::vector<int> order(dim);
      std::iota(order.begin(), order.end(), 0);
      std::partial_sort(order.begin(), order.begin() + top_k, order.end(),
                        [scores](int a, int b) { return scores[a] > scores[b]; });
      std::vector<Prediction> top;
      for (int k = 0; k < top_k; ++k) {
        Prediction p;
        p.label = order[k];
        p.name = labels_.empty() ? std::to_string(p.label) : labels_[p.label];
        p.score = scores[p.label];
        top.push_back(p);
      }
      results.push_back(std::move(top));
    }
  }
  return results;
}

std::vector<std::vector<Prediction>> Classifier::ClassifyFiles(
    const std::vector<std::string>& paths, int top_k, int batch) {
  std::vector<cv::Mat> images;
  images.reserve(paths.size());
  for (const std::string& path : paths) images.push_back(ReadImage(path));
  return Classify(images, top_k, batch);
}

}  // namespace crema
