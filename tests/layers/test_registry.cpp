// Every layer type of BVLC Caffe (master) must be registered in crema and
// build from a minimal parameter set: set up on suitable bottoms and run
// forward. Python is left out on purpose (it needs the Python module).
//
// The list was checked against the REGISTER_LAYER_CLASS / REGISTER_LAYER_CREATOR
// lines of Caffe's src/caffe/layers and src/caffe/layer_factory.cpp.
// "Recurrent" is an abstract base there (RNN and LSTM derive from it) and is
// not a registered type.
#include <gtest/gtest.h>
#include <hdf5.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <opencv2/imgcodecs.hpp>
#include <set>
#include <string>
#include <vector>

#include "crema/layer_registry.hpp"
#include "data/data_test_util.hpp"
#include "support/test_util.hpp"

namespace crema {
namespace {

using testing::ParseText;
using testing::ScratchDir;

const std::vector<std::string> kCaffeLayerTypes = {
    "AbsVal",
    "Accuracy",
    "ArgMax",
    "BatchNorm",
    "BatchReindex",
    "Bias",
    "BNLL",
    "Clip",
    "Concat",
    "ContrastiveLoss",
    "Convolution",
    "Crop",
    "Data",
    "Deconvolution",
    "Dropout",
    "DummyData",
    "Eltwise",
    "ELU",
    "Embed",
    "EuclideanLoss",
    "Exp",
    "Filter",
    "Flatten",
    "HDF5Data",
    "HDF5Output",
    "HingeLoss",
    "Im2col",
    "ImageData",
    "InfogainLoss",
    "InnerProduct",
    "Input",
    "Log",
    "LRN",
    "LSTM",
    "LSTMUnit",
    "MemoryData",
    "MultinomialLogisticLoss",
    "MVN",
    "Parameter",
    "Pooling",
    "Power",
    "PReLU",
    "Reduction",
    "ReLU",
    "Reshape",
    "RNN",
    "Scale",
    "Sigmoid",
    "SigmoidCrossEntropyLoss",
    "Silence",
    "Slice",
    "Softmax",
    "SoftmaxWithLoss",
    "Split",
    "SPP",
    "Swish",
    "TanH",
    "Threshold",
    "Tile",
    "WindowData",
};

// BVLC Caffe types crema does not implement yet; the test below fails as a
// reminder as soon as one of them is registered.
const std::set<std::string> kNotImplementedYet = {};

bool Pending(const std::string& type) {
  return kNotImplementedYet.count(type) > 0;
}

// How far the registry test takes a type.
enum class Check {
  kForward,  // create, set up, run forward
  kSetUp,    // create and set up: forward needs data fed from outside
};

// How to build one type: its parameters (after type), the bottom shapes, the
// number of tops. Bottoms are zero-filled, which is a valid label, index and
// selector.
struct Spec {
  std::string type;
  std::string param;
  std::vector<std::vector<int>> bottoms;
  int tops;
  Check check = Check::kForward;
};

std::vector<Spec> Specs(const ScratchDir& dir) {
  const std::string lmdb = dir / "lmdb";
  const std::string images = dir / "images.txt";
  return {
      {"AbsVal", "", {{2, 3}}, 1},
      {"Accuracy", "", {{2, 3}, {2}}, 1},
      {"ArgMax", "", {{2, 3}}, 1},
      {"BatchNorm", "", {{2, 3, 2, 2}}, 1},
      {"BatchReindex", "", {{2, 3}, {2}}, 1},
      {"Bias", "", {{2, 3}}, 1},
      {"BNLL", "", {{2, 3}}, 1},
      {"Clip", "clip_param { min: -1 max: 1 }", {{2, 3}}, 1},
      {"Concat", "", {{2, 3}, {2, 2}}, 1},
      {"ContrastiveLoss", "", {{2, 3, 1, 1}, {2, 3, 1, 1}, {2, 1, 1, 1}}, 1},
      {"Convolution", "convolution_param { num_output: 2 kernel_size: 1 }", {{1, 2, 3, 3}}, 1},
      {"Crop", "", {{1, 1, 4, 4}, {1, 1, 2, 2}}, 1},
      {"Data", "data_param { source: '" + lmdb + "' backend: LMDB batch_size: 2 }", {}, 2},
      {"Deconvolution", "convolution_param { num_output: 2 kernel_size: 2 }", {{1, 2, 3, 3}}, 1},
      {"Dropout", "", {{2, 3}}, 1},
      {"DummyData", "dummy_data_param { shape { dim: 2 dim: 3 } }", {}, 1},
      {"Eltwise", "", {{2, 3}, {2, 3}}, 1},
      {"ELU", "", {{2, 3}}, 1},
      {"Embed", "embed_param { num_output: 2 input_dim: 3 }", {{4}}, 1},
      {"EuclideanLoss", "", {{2, 3}, {2, 3}}, 1},
      {"Exp", "", {{2, 3}}, 1},
      {"Filter", "", {{2, 3}, {2}}, 1},
      {"Flatten", "", {{2, 3, 2}}, 1},
      {"HDF5Data",
       "top: 'data' top: 'label' hdf5_data_param { source: '" + (dir / "h5.txt") +
           "' batch_size: 1 }",
       {},
       2},
      {"HDF5Output",
       "hdf5_output_param { file_name: '" + (dir / "out.h5") + "' }",
       {{2, 3}, {2}},
       0},
      {"HingeLoss", "", {{2, 3}, {2}}, 1},
      {"Im2col", "convolution_param { kernel_size: 2 }", {{1, 2, 3, 3}}, 1},
      {"ImageData",
       "image_data_param { source: '" + images + "' root_folder: '" + dir.path() +
           "/' batch_size: 1 }",
       {},
       2},
      {"InfogainLoss", "", {{2, 3}, {2}, {3, 3}}, 1},
      {"InnerProduct", "inner_product_param { num_output: 2 }", {{2, 3}}, 1},
      {"Input", "input_param { shape { dim: 1 dim: 2 } }", {}, 1},
      {"Log", "", {{2, 3}}, 1},
      {"LRN", "", {{1, 3, 2, 2}}, 1},
      {"LSTM", "recurrent_param { num_output: 2 }", {{2, 1, 3}, {2, 1}}, 1},
      {"LSTMUnit", "", {{1, 2, 3}, {1, 2, 12}, {1, 2}}, 2},
      {"MemoryData",
       "memory_data_param { batch_size: 1 channels: 1 height: 2 width: 2 }",
       {},
       2,
       Check::kSetUp},
      {"MultinomialLogisticLoss", "", {{2, 3}, {2}}, 1},
      {"MVN", "", {{2, 3, 2, 2}}, 1},
      {"Parameter", "parameter_param { shape { dim: 2 } }", {}, 1},
      {"Pooling", "pooling_param { kernel_size: 2 }", {{1, 1, 4, 4}}, 1},
      {"Power", "", {{2, 3}}, 1},
      {"PReLU", "", {{2, 3}}, 1},
      {"Reduction", "", {{2, 3}}, 1},
      {"ReLU", "", {{2, 3}}, 1},
      {"Reshape", "reshape_param { shape { dim: -1 } }", {{2, 3}}, 1},
      {"RNN", "recurrent_param { num_output: 2 }", {{2, 1, 3}, {2, 1}}, 1},
      {"Scale", "", {{2, 3}}, 1},
      {"Sigmoid", "", {{2, 3}}, 1},
      {"SigmoidCrossEntropyLoss", "", {{2, 3}, {2, 3}}, 1},
      {"Silence", "", {{2, 3}}, 0},
      {"Slice", "", {{2, 4}}, 2},
      {"Softmax", "", {{2, 3}}, 1},
      {"SoftmaxWithLoss", "", {{2, 3}, {2}}, 1},
      {"Split", "", {{2, 3}}, 2},
      {"SPP", "spp_param { pyramid_height: 2 }", {{1, 1, 4, 4}}, 1},
      {"Swish", "", {{2, 3}}, 1},
      {"TanH", "", {{2, 3}}, 1},
      {"Threshold", "", {{2, 3}}, 1},
      {"Tile", "tile_param { tiles: 2 }", {{2, 3}}, 1},
      {"WindowData",
       "window_data_param { source: '" + (dir / "windows.txt") + "' root_folder: '" +
           dir.path() + "/' batch_size: 2 fg_fraction: 0.5 } transform_param { crop_size: 2 }",
       {},
       2},
  };
}

// Writes `values` as the float dataset `name` of shape `dims` into `file`.
void WriteH5Dataset(hid_t file, const char* name, const std::vector<hsize_t>& dims,
                    const std::vector<float>& values) {
  const hid_t space = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
  const hid_t set = H5Dcreate2(file, name, H5T_NATIVE_FLOAT, space, H5P_DEFAULT, H5P_DEFAULT,
                               H5P_DEFAULT);
  ASSERT_GE(set, 0) << name;
  EXPECT_GE(H5Dwrite(set, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()), 0);
  H5Dclose(set);
  H5Sclose(space);
}

// The sources the data layers read: a one-record LMDB, a one-image list, a
// one-row HDF5 file and a window file with one image and two windows.
void WriteDataSources(const ScratchDir& dir) {
  testing::WriteDatumDB(dir / "lmdb", 1, [](int i) { return testing::MakeDatum(1, 2, 2, i, 0); });
  ASSERT_TRUE(cv::imwrite(dir / "a.png", cv::Mat(2, 2, CV_8UC3, cv::Scalar(1, 2, 3))));
  std::ofstream(dir / "images.txt") << "a.png 0\n";
  const hid_t file = H5Fcreate((dir / "one.h5").c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  ASSERT_GE(file, 0);
  WriteH5Dataset(file, "data", {1, 3}, {1, 2, 3});
  WriteH5Dataset(file, "label", {1}, {4});
  H5Fclose(file);
  std::ofstream(dir / "h5.txt") << (dir / "one.h5") << "\n";
  std::ofstream(dir / "windows.txt") << "# 0\na.png\n3\n2\n2\n2\n1 0.9 0 0 1 1\n0 0.1 0 0 0 0\n";
}

TEST(LayerRegistryTest, EveryCaffeLayerTypeIsRegistered) {
  for (const std::string& type : kCaffeLayerTypes) {
    if (Pending(type)) continue;
    EXPECT_TRUE(LayerRegistry::Has(type))
        << "BVLC Caffe layer type '" << type << "' is not registered in crema";
  }
}

TEST(LayerRegistryTest, PendingListsAreUpToDate) {
  for (const std::string& type : kNotImplementedYet) {
    EXPECT_FALSE(LayerRegistry::Has(type))
        << "'" << type << "' is registered now: remove it from kNotImplementedYet";
  }
  for (const std::string& type : kNotImplementedYet) {
    EXPECT_EQ(1, std::count(kCaffeLayerTypes.begin(), kCaffeLayerTypes.end(), type)) << type;
  }
}

TEST(LayerRegistryTest, EveryCaffeLayerTypeHasOneBuildSpec) {
  ScratchDir dir;
  std::set<std::string> covered;
  for (const Spec& spec : Specs(dir)) {
    EXPECT_TRUE(covered.insert(spec.type).second) << "two specs for " << spec.type;
  }
  EXPECT_EQ(std::set<std::string>(kCaffeLayerTypes.begin(), kCaffeLayerTypes.end()), covered);
}

TEST(LayerRegistryTest, EveryCaffeLayerTypeBuildsAndRunsForward) {
  ScratchDir dir;
  WriteDataSources(dir);
  for (const Spec& spec : Specs(dir)) {
    if (Pending(spec.type)) continue;
    SCOPED_TRACE(spec.type);
    const LayerParameter param = ParseText<LayerParameter>(
        "name: 'registry_" + spec.type + "' type: '" + spec.type + "' " + spec.param);
    std::shared_ptr<Layer> layer;
    try {
      layer = LayerRegistry::Create(param);
    } catch (const Error& e) {
      ADD_FAILURE() << "cannot create " << spec.type << ": " << e.what();
      continue;
    }
    ASSERT_NE(nullptr, layer);
    EXPECT_EQ(spec.type, layer->type());
    std::vector<std::unique_ptr<Blob>> storage;
    std::vector<Blob*> bottom, top;
    for (const auto& shape : spec.bottoms) {
      storage.push_back(std::make_unique<Blob>(shape));
      bottom.push_back(storage.back().get());
    }
    for (int i = 0; i < spec.tops; ++i) {
      storage.push_back(std::make_unique<Blob>());
      top.push_back(storage.back().get());
    }
    try {
      layer->SetUp(bottom, top);
      if (spec.check == Check::kForward) layer->Forward(bottom, top);
      // The file-reading layers deliver what the files above hold.
      if (spec.type == "HDF5Data") {
        EXPECT_EQ(std::vector<int>({1, 3}), top[0]->shape());
        EXPECT_EQ(std::vector<float>({1, 2, 3}),
                  std::vector<float>(top[0]->cpu_data(), top[0]->cpu_data() + 3));
        EXPECT_EQ(4.f, top[1]->cpu_data()[0]);
      }
      if (spec.type == "WindowData") {
        EXPECT_EQ(std::vector<int>({2, 3, 2, 2}), top[0]->shape());
        EXPECT_EQ(0.f, top[1]->cpu_data()[0]);  // background first
        EXPECT_EQ(1.f, top[1]->cpu_data()[1]);
      }
    } catch (const Error& e) {
      ADD_FAILURE() << spec.type << " failed to set up or run forward: " << e.what();
    }
  }
}

}  // namespace
}  // namespace crema
