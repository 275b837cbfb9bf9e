// Classifier: runs a deploy net on images and returns the top-k classes,
// preparing each image as the net's input expects (the job of Caffe's
// classification example and python/classify.py).
//
// An image is read as grayscale or colour by the input's channel count
// (1 or 3), resized to the input's height x width (or to `resize` and then
// center-cropped to it), and turned into floats:
//   value = (pixel * raw_scale / 255 - mean) * scale
// with pixel in [0, 255] taken from channel channel_swap[c] (OpenCV reads
// BGR, the order of Caffe's reference models). A mean file is subtracted
// as an image: resized to the pre-crop size when its size differs, then
// center-cropped with the image, as Caffe's DataTransformer does in TEST.
#ifndef CREMA_CLASSIFIER_HPP_
#define CREMA_CLASSIFIER_HPP_

#include <opencv2/core.hpp>

#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "crema/net.hpp"

namespace crema {

struct ClassifierOptions {
  std::string model_file;                 // deploy prototxt (one input, e.g. Input layer)
  std::vector<std::string> weights_files;  // .caffemodel files, applied in order
  std::string mean_file;                  // .binaryproto (optional)
  std::vector<float> mean_values;         // one, or one per channel (optional)
  std::string labels_file;                // one label per line (optional)
  float raw_scale = 255.f;
  float scale = 1.f;
  std::vector<int> channel_swap;          // empty: keep the image's (BGR) order
  int resize_height = 0;                  // with resize_width: resize, then center-crop
  int resize_width = 0;
  // Name of the blob holding the class scores; empty: the net's last output.
  std::string output_blob;
  // fp32, bf16 or int8 (empty: the net's own); int8's calibration file
  // (empty: the one next to the first weights file).
  std::string precision;
  std::string calibration_file;
};

struct Prediction {
  int label = 0;
  std::string name;  // the labels file's line, else the label number
  float score = 0;
};

class Classifier {
 public:
  // Builds the net (TEST phase), copies the weights and reads the mean and
  // labels. Throws crema::Error for missing or unreadable files, weights of
  // another net, a mean whose channel count differs from the input's, a
  // labels file whose length differs from the number of classes, or an
  // input that is not 1 or 3 channels.
  explicit Classifier(const ClassifierOptions& options);

  // Top-k predictions for each image, `batch` images per forward pass.
  std::vector<std::vector<Prediction>> Classify(const std::vector<cv::Mat>& images,
                                                int top_k, int batch = 1);
  // Reads the images from files first (unreadable files are an error).
  std::vector<std::vector<Prediction>> ClassifyFiles(const std::vector<std::string>& paths,
                                                     int top_k, int batch = 1);

  // Writes one prepared image (channels() x height() x width() floats).
  void Preprocess(const cv::Mat& image, float* out) const;
  // Reads an image from a file as this classifier's input wants it.
  cv::Mat ReadImage(const std::string& path) const;
  // The same from the file's bytes; `path` names the image in errors.
  cv::Mat DecodeImage(const std::string& bytes, const std::string& path) const;

  int channels() const { return channels_; }
  int height() const { return height_; }
  int width() const { return width_; }
  int num_classes() const { return num_classes_; }
  const std::vector<std::string>& labels() const { return labels_; }
  Net& net() { return *net_; }

 private:
  void SetUpMean();
  cv::Mat ToInputChannels(const cv::Mat& image) const;

  ClassifierOptions options_;
  std::unique_ptr<Net> net_;
  Blob* input_ = nullptr;
  std::string output_name_;
  int channels_ = 0, height_ = 0, width_ = 0;  // the net's input
  int pre_height_ = 0, pre_width_ = 0;         // the size before center-cropping
  int num_classes_ = 0;
  std::vector<float> mean_image_;              // channels x pre_height x pre_width
  std::vector<std::string> labels_;
};

// Net::CopyTrainedLayersFrom(weights_file): throws crema::Error when the
// file holds weights for none of the net's layers that have parameters.
void CopyWeightsChecked(Net* net, const std::string& weights_file);

// One label per line (trailing '\r' and blank trailing lines dropped).
std::vector<std::string> ReadLabelsFile(const std::string& path);
// The same, from an open stream.
std::vector<std::string> ParseLabels(std::istream& in);

// Reads a mean .binaryproto into a 1 x C x H x W blob; throws crema::Error
// naming the file when it is missing or not a BlobProto with values.
void ReadMeanFile(const std::string& path, Blob* mean);
// The same checks on a BlobProto already read; `path` names it in errors.
void MeanFromProto(const BlobProto& proto, const std::string& path, Blob* mean);

}  // namespace crema

#endif  // CREMA_CLASSIFIER_HPP_
