// Image reading and resizing through OpenCV (which crema links already), so
// crema.io needs neither scikit-image nor scipy.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <string>

#include "bindings.hpp"
#include "crema/common.hpp"

namespace py = pybind11;

namespace crema {
namespace python {
namespace {

// H x W x K float32 in [0, 1], channels in RGB order (K = 3) or gray (K = 1).
py::array_t<float> LoadImage(const std::string& path, bool color) {
  cv::Mat image = cv::imread(path, color ? cv::IMREAD_COLOR : cv::IMREAD_GRAYSCALE);
  if (image.empty()) Throw("Cannot read image '", path, "': missing, unreadable or not an image.");
  if (color) cv::cvtColor(image, image, cv::COLOR_BGR2RGB);
  const int channels = image.channels();
  py::array_t<float> out({image.rows, image.cols, channels});
  cv::Mat target(image.rows, image.cols, CV_32FC(channels), out.mutable_data());
  image.convertTo(target, CV_32F, 1.0 / 255.0);
  return out;
}

int Interpolation(int order) {
  switch (order) {
    case 0: return cv::INTER_NEAREST;
    case 1: return cv::INTER_LINEAR;
    case 3: return cv::INTER_CUBIC;
    default:
      throw py::value_error("interp_order must be 0 (nearest), 1 (linear) or 3 (cubic), not " +
                            std::to_string(order) + ".");
  }
}

// Resizes an H x W x K float32 array to height x width, channel by channel.
py::array_t<float> Resize(py::array_t<float, py::array::c_style | py::array::forcecast> image,
                          int height, int width, int order) {
  if (image.ndim() != 3) throw py::value_error("resize expects an H x W x K array.");
  if (height <= 0 || width <= 0) throw py::value_error("resize: the new size must be positive.");
  const int rows = image.shape(0), cols = image.shape(1), channels = image.shape(2);
  py::array_t<float> out({height, width, channels});
  if (rows == 0 || cols == 0) throw py::value_error("resize: the image is empty.");
  const int method = Interpolation(order);
  cv::Mat plane(rows, cols, CV_32F), resized;
  for (int k = 0; k < channels; ++k) {
    const float* src = image.data();
    for (int i = 0; i < rows * cols; ++i) plane.ptr<float>()[i] = src[i * channels + k];
    cv::resize(plane, resized, cv::Size(width, height), 0, 0, method);
    float* dst = out.mutable_data();
    for (int i = 0; i < height * width; ++i) dst[i * channels + k] = resized.ptr<float>()[i];
  }
  return out;
}

}  // namespace

void BindImage(py::module_& m) {
  m.def("_load_image", &LoadImage, py::arg("path"), py::arg("color") = true);
  m.def("_resize", &Resize, py::arg("image"), py::arg("height"), py::arg("width"),
        py::arg("order") = 1);
}

}  // namespace python
}  // namespace crema
