// The fuzz entries' fixtures, scratch files and generated seed inputs.
#include <hdf5.h>
#include <glog/logging.h>
#include <unistd.h>

#include <opencv2/imgcodecs.hpp>

#include <filesystem>
#include <fstream>
#include <map>

#include "crema/common.hpp"
#include "crema/data/datum.hpp"
#include "crema/fuzz_entry.hpp"
#include "crema/io/proto_io.hpp"
#include "crema/net.hpp"
#include "fuzz_fixtures.hpp"

namespace crema {
namespace fuzz {

const char kFixtureNet[] = R"(name: "fuzz_fixture"
layer { name: "input" type: "Input" top: "data" top: "label"
  input_param { shape { dim: 2 dim: 1 dim: 4 dim: 4 } shape { dim: 2 } } }
layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
  convolution_param { num_output: 2 kernel_size: 3 } }
layer { name: "bn1" type: "BatchNorm" bottom: "conv1" top: "conv1" }
layer { name: "ip1" type: "InnerProduct" bottom: "conv1" top: "ip1"
  inner_product_param { num_output: 3 } }
layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip1" bottom: "label" top: "loss" }
)";

const char kFixtureDeployNet[] = R"(name: "fuzz_deploy"
layer { name: "input" type: "Input" top: "data"
  input_param { shape { dim: 1 dim: 3 dim: 8 dim: 8 } } }
layer { name: "ip1" type: "InnerProduct" bottom: "data" top: "ip1"
  inner_product_param { num_output: 4 } }
layer { name: "prob" type: "Softmax" bottom: "ip1" top: "prob" }
)";

std::string ScratchPath(const std::string& name) {
  static const std::string folder = [] {
    const std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                      StrCat("crema_fuzz_", ::getpid());
    std::filesystem::create_directories(dir);
    return dir.string();
  }();
  return folder + "/" + name;
}

std::string WriteScratch(const std::string& name, const std::string& bytes) {
  const std::string path = ScratchPath(name);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) Throw("Cannot write the scratch file '", path, "'.");
  return path;
}

void QuietLogging() {
  FLAGS_minloglevel = 2;  // ERROR and FATAL only
  FLAGS_logtostderr = true;
}

namespace {

std::string Serialized(const google::protobuf::Message& message) {
  std::string bytes;
  message.SerializeToString(&bytes);
  return bytes;
}

// A small picture with some structure, so that codecs keep real content.
cv::Mat TestImage(int rows, int cols, int type) {
  cv::Mat image(rows, cols, type);
  for (int r = 0; r < rows; ++r) {
    uchar* row = image.ptr<uchar>(r);
    for (size_t i = 0; i < cols * image.elemSize(); ++i) row[i] = (r * 37 + i * 11) % 256;
  }
  return image;
}

std::string Encoded(const std::string& ext, const cv::Mat& image) {
  std::vector<uchar> buffer;
  cv::imencode(ext, image, buffer);
  return std::string(buffer.begin(), buffer.end());
}

std::string Hdf5Seed(const std::string& path) {
  const hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  if (file < 0) Throw("Cannot create the seed file '", path, "'.");
  const auto write = [&](const char* name, std::vector<hsize_t> dims) {
    hsize_t count = 1;
    for (hsize_t d : dims) count *= d;
    std::vector<float> values(count);
    for (hsize_t i = 0; i < count; ++i) values[i] = 0.25f * i;
    const hid_t space = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
    const hid_t set = H5Dcreate2(file, name, H5T_IEEE_F32LE, space, H5P_DEFAULT,
                                 H5P_DEFAULT, H5P_DEFAULT);
    H5Dwrite(set, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data());
    H5Dclose(set);
    H5Sclose(space);
  };
  write("data", {3, 2, 2, 2});
  write("label", {3});
  H5Fclose(file);
  return ReadFileToString(path);
}

std::string SolverStateSeed(const Net& net) {
  SolverState state;
  state.set_iter(5);
  state.set_current_step(0);
  for (const Blob* param : net.learnable_params()) param->ToProto(state.add_history());
  return Serialized(state);
}

std::map<std::string, std::vector<std::string>> Seeds() {
  NetParameter net_param;
  ReadProtoFromTextString(kFixtureNet, &net_param, "fixture net");
  Net net(net_param);
  NetParameter weights;
  net.ToProto(&weights);
  Blob mean(std::vector<int>{1, 3, 4, 4});
  BlobProto mean_proto;
  mean.ToProto(&mean_proto);
  Datum raw;
  CVMatToDatum(TestImage(4, 5, CV_8UC3), &raw);
  Datum floats;
  for (int i = 0; i < 12; ++i) floats.add_float_data(0.5f * i);
  floats.set_channels(1), floats.set_height(3), floats.set_width(4);
  const std::string png = Encoded(".png", TestImage(12, 12, CV_8UC3));
  const std::string jpg = Encoded(".jpg", TestImage(9, 7, CV_8UC1));
  Datum encoded;
  encoded.set_encoded(true);
  encoded.set_data(png);
  return {
      {"net_prototxt", {kFixtureNet, kFixtureDeployNet}},
      {"solver_prototxt",
       {StrCat("base_lr: 0.01 lr_policy: \"step\" stepsize: 10 gamma: 0.1 solver_type: "
               "NESTEROV momentum: 0.9 net_param { ", kFixtureDeployNet, " }")}},
      {"upgrade_net",
       {"name: \"v1\" input: \"data\" input_dim: 1 input_dim: 1 input_dim: 4 input_dim: 4\n"
        "layers { name: \"conv\" type: CONVOLUTION bottom: \"data\" top: \"conv\"\n"
        "  blobs_lr: 1 blobs_lr: 2 convolution_param { num_output: 2 kernel_size: 3 } }\n",
        "name: \"v0\" layers { layer { name: \"data\" type: \"data\" source: \"x\"\n"
        "  batchsize: 2 scale: 0.5 } top: \"data\" top: \"label\" }\n"
        "layers { layer { name: \"pad\" type: \"padding\" pad: 1 } bottom: \"data\" top: \"pad\" }\n"
        "layers { layer { name: \"conv\" type: \"conv\" num_output: 2 kernelsize: 3 }\n"
        "  bottom: \"pad\" top: \"conv\" }\n"}},
      {"caffemodel", {Serialized(weights)}},
      {"binaryproto", {Serialized(mean_proto)}},
      {"solverstate", {SolverStateSeed(net)}},
      {"datum", {Serialized(raw), Serialized(floats), Serialized(encoded)}},
      {"encoded_image", {png, jpg, Encoded(".bmp", TestImage(3, 4, CV_8UC3))}},
      {"hdf5", {Hdf5Seed(ScratchPath("seed.h5"))}},
      {"list_file", {"cat/1.jpg 0\ndog/2.png 1\n", "a b c 7\r\n\n"}},
      {"classify_image", {png, jpg}},
  };
}

}  // namespace

void WriteSeeds(const std::string& dir) {
  for (const auto& [target, inputs] : Seeds()) {
    const std::filesystem::path folder = std::filesystem::path(dir) / target;
    std::filesystem::create_directories(folder);
    for (size_t i = 0; i < inputs.size(); ++i) {
      std::ofstream out(folder / StrCat("seed_", i), std::ios::binary | std::ios::trunc);
      out << inputs[i];
      if (!out) Throw("Cannot write the seed '", (folder / StrCat("seed_", i)).string(), "'.");
    }
  }
}

}  // namespace fuzz
}  // namespace crema
