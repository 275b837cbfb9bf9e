// ONNX export and import: every zoo deploy net and a net of the other
// convertible layers go crema -> ONNX -> crema and give the same outputs on
// random weights; OpenCV's ONNX reader, an independent one, gives them too.
// With CREMA_ONNX_DUMP_DIR set, each zoo case also leaves NAME.onnx,
// NAME_input.f32 and NAME_output<i>.f32 there for tests/onnx/check_zoo.py.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "crema/io/proto_io.hpp"
#include "crema/io/upgrade_proto.hpp"
#include "crema/math/math_functions.hpp"
#include "crema/net.hpp"
#include "crema/onnx/onnx.hpp"
#include "solver/solver_test_util.hpp"

#ifdef CREMA_HAVE_OPENCV_DNN
#include <opencv2/dnn.hpp>
#endif

namespace crema {
namespace testing {
namespace {

void RandomizeWeights(Net* net) {
  for (const auto& layer : net->layers()) {
    const auto& blobs = layer->blobs();
    if (std::string(layer->type()) == "BatchNorm") {
      rng_gaussian(blobs[0]->count(), 0.2f, 0.5f, blobs[0]->mutable_cpu_data());
      rng_uniform(blobs[1]->count(), 0.5f, 3.f, blobs[1]->mutable_cpu_data());
      blobs[2]->mutable_cpu_data()[0] = 2.f;
      continue;
    }
    for (const auto& blob : blobs) {
      // Scaled to the fan-in so that deep nets keep their activations finite.
      const float fan_in = blob->num_axes() > 1 ? blob->count() / blob->shape(0) : 1;
      rng_gaussian(blob->count(), 0.f, std::sqrt(2.f / fan_in), blob->mutable_cpu_data());
    }
  }
}

// max |a - b| / max |b|.
double RelativeError(const float* a, const float* b, int count) {
  double max_diff = 0, max_ref = 0;
  for (int i = 0; i < count; ++i) {
    max_diff = std::max(max_diff, static_cast<double>(std::fabs(a[i] - b[i])));
    max_ref = std::max(max_ref, static_cast<double>(std::fabs(b[i])));
  }
  return max_ref > 0 ? max_diff / max_ref : max_diff;
}

void WriteFloats(const std::string& path, const Blob& blob) {
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(blob.cpu_data()), blob.count() * sizeof(float));
}

#ifdef CREMA_HAVE_OPENCV_DNN
void CheckWithOpenCV(const std::string& bytes, const onnx::ModelProto& model, const Net& net) {
  cv::dnn::Net reference = cv::dnn::readNetFromONNX(bytes.data(), bytes.size());
  ASSERT_FALSE(reference.empty());
  reference.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
  const Blob& input = *net.input_blobs()[0];
  std::vector<int> shape = input.shape();
  cv::Mat blob(static_cast<int>(shape.size()), shape.data(), CV_32F);
  std::copy(input.cpu_data(), input.cpu_data() + input.count(), blob.ptr<float>());
  reference.setInput(blob);
  std::vector<cv::String> names;
  for (const auto& out : model.graph().output()) names.push_back(out.name());
  std::vector<cv::Mat> outputs;
  reference.forward(outputs, names);
  ASSERT_EQ(outputs.size(), names.size());
  for (size_t i = 0; i < names.size(); ++i) {
    const Blob& ours = *net.output_blobs()[i];
    ASSERT_EQ(static_cast<size_t>(ours.count()), outputs[i].total()) << names[i];
    const double error = RelativeError(outputs[i].ptr<float>(), ours.cpu_data(), ours.count());
    std::cout << "[opencv] " << names[i] << " relative error " << error << "\n";
    EXPECT_LE(error, 1e-4) << "OpenCV's reading of output " << names[i];
  }
}
#endif

// Exports `param` (random weights), imports the result, and compares the
// outputs of the two crema nets (and OpenCV's, where built in).
void RoundTrip(NetParameter param, const std::string& name, bool opencv = true) {
  Crema::set_random_seed(1701);
  param.mutable_state()->set_phase(TEST);
  Net net(param);
  RandomizeWeights(&net);
  Blob* input = net.input_blobs()[0];
  rng_uniform(input->count(), -1.f, 1.f, input->mutable_cpu_data());
  net.Forward();

  onnx::ModelProto model;
  ExportOnnx(net, OnnxExportOptions(), &model);
  std::string bytes;
  ASSERT_TRUE(model.SerializeToString(&bytes));
  onnx::ModelProto read;
  ASSERT_TRUE(read.ParseFromString(bytes));
  NetParameter imported;
  ImportOnnx(read, &imported);
  imported.mutable_state()->set_phase(TEST);
  Net back(imported);
  back.CopyTrainedLayersFrom(imported);
  back.input_blobs()[0]->CopyFrom(*input);
  back.Forward();
  ASSERT_EQ(back.num_outputs(), net.num_outputs());
  for (int i = 0; i < net.num_outputs(); ++i) {
    const Blob& a = *net.output_blobs()[i];
    const Blob& b = *back.output_blobs()[i];
    ASSERT_EQ(a.shape(), b.shape()) << name << " output " << i;
    const double error = RelativeError(b.cpu_data(), a.cpu_data(), a.count());
    std::cout << "[crema->onnx->crema] " << name << " output " << i << " " << a.shape_string()
              << " relative error " << error << "\n";
    EXPECT_LE(error, 1e-4) << name << " output " << i;
  }
  if (const char* dir = std::getenv("CREMA_ONNX_DUMP_DIR")) {
    WriteOnnxModel(model, std::string(dir) + "/" + name + ".onnx");
    WriteFloats(std::string(dir) + "/" + name + "_input.f32", *input);
    for (int i = 0; i < net.num_outputs(); ++i) {
      WriteFloats(StrCat(dir, "/", name, "_output", i, ".f32"), *net.output_blobs()[i]);
    }
  }
#ifdef CREMA_HAVE_OPENCV_DNN
  if (opencv) CheckWithOpenCV(bytes, model, net);
#endif
}

// A zoo deploy net at batch 1 (and, for fully convolutional ones, a small
// spatial size).
NetParameter ZooNet(const std::string& name, int spatial = 0) {
  NetParameter param;
  ReadNetParamsFromTextFile(std::string(CREMA_SOURCE_DIR) + "/models/" + name + "/deploy.prototxt",
                            &param);
  // Compare logits: a softmax of random weights is often one-hot, which
  // would hide differences.
  if (param.layer(param.layer_size() - 1).type() == "Softmax") param.mutable_layer()->RemoveLast();
  for (auto& layer : *param.mutable_layer()) {
    if (layer.type() != "Input") continue;
    BlobShape* shape = layer.mutable_input_param()->mutable_shape(0);
    shape->set_dim(0, 1);
    if (spatial) {
      shape->set_dim(2, spatial);
      shape->set_dim(3, spatial);
    }
  }
  return param;
}

class OnnxZoo : public ::testing::TestWithParam<std::string> {};

// Nets with over 50 million weights take tens of seconds here (OpenCV's
// reading most of it): they run when CREMA_ONNX_LARGE is set.
bool Large(const std::string& name) {
  return name == "alexnet" || name == "caffenet" || name == "vgg16" || name == "fcn32s";
}

TEST_P(OnnxZoo, ExportsAndImportsWithTheSameOutputs) {
  const std::string name = GetParam();
  if (Large(name) && !std::getenv("CREMA_ONNX_LARGE")) {
    GTEST_SKIP() << name << " is large: set CREMA_ONNX_LARGE=1 to run it";
  }
  RoundTrip(ZooNet(name, name == "fcn32s" ? 64 : 0), name);
}

INSTANTIATE_TEST_SUITE_P(Models, OnnxZoo,
                         ::testing::Values("lenet", "alexnet", "caffenet", "googlenet", "resnet50",
                                           "squeezenet", "mobilenet", "fcn32s", "vgg16"));

// The layers the zoo does not use, and pooling whose Caffe output size
// differs from ONNX's floor rule (8 -> 4 windows of 3 with stride 2).
const char kLayersNet[] = R"(
name: "layers"
layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 1 dim: 4 dim: 8 dim: 8 } } }
layer { name: "max_ceil" type: "Pooling" bottom: "data" top: "max_ceil"
        pooling_param { pool: MAX kernel_size: 3 stride: 2 } }
layer { name: "ave_ceil" type: "Pooling" bottom: "data" top: "ave_ceil"
        pooling_param { pool: AVE kernel_size: 3 stride: 2 } }
layer { name: "ave_pad" type: "Pooling" bottom: "data" top: "ave_pad"
        pooling_param { pool: AVE kernel_size: 3 stride: 2 pad: 1 } }
layer { name: "ave_pad_ceil" type: "Pooling" bottom: "data" top: "ave_pad_ceil"
        pooling_param { pool: AVE kernel_size: 2 stride: 3 pad: 1 } }
layer { name: "pools" type: "Concat" bottom: "max_ceil" bottom: "ave_ceil" top: "pools" }
layer { name: "deconv" type: "Deconvolution" bottom: "pools" top: "deconv"
        convolution_param { num_output: 4 kernel_size: 4 stride: 2 pad: 1 group: 2 } }
layer { name: "crop" type: "Crop" bottom: "deconv" bottom: "data" top: "crop"
        crop_param { axis: 2 offset: 0 } }
layer { name: "prelu" type: "PReLU" bottom: "crop" top: "prelu" }
layer { name: "slice" type: "Slice" bottom: "prelu" top: "s1" top: "s2" top: "s3"
        slice_param { axis: 1 slice_point: 1 slice_point: 3 } }
layer { name: "elu" type: "ELU" bottom: "s1" top: "elu" elu_param { alpha: 0.5 } }
layer { name: "sigmoid" type: "Sigmoid" bottom: "s2" top: "sigmoid" }
layer { name: "tanh" type: "TanH" bottom: "s3" top: "tanh" }
layer { name: "cat" type: "Concat" bottom: "elu" bottom: "sigmoid" bottom: "tanh" top: "cat" }
layer { name: "power" type: "Power" bottom: "cat" top: "power"
        power_param { power: 2 scale: 0.5 shift: 1.5 } }
layer { name: "leaky" type: "ReLU" bottom: "data" top: "leaky" relu_param { negative_slope: 0.1 } }
layer { name: "prod" type: "Eltwise" bottom: "leaky" bottom: "data" top: "prod"
        eltwise_param { operation: PROD } }
layer { name: "emax" type: "Eltwise" bottom: "prod" bottom: "data" top: "emax"
        eltwise_param { operation: MAX } }
layer { name: "esum" type: "Eltwise" bottom: "emax" bottom: "data" bottom: "prod" top: "esum"
        eltwise_param { operation: SUM coeff: 0.5 coeff: -1 coeff: 2 } }
layer { name: "scale" type: "Scale" bottom: "esum" top: "scale" scale_param { bias_term: true } }
layer { name: "bias" type: "Bias" bottom: "scale" top: "bias" }
layer { name: "abs" type: "AbsVal" bottom: "bias" top: "abs" }
layer { name: "bnll" type: "BNLL" bottom: "abs" top: "bnll" }
layer { name: "clip" type: "Clip" bottom: "bnll" top: "clip" clip_param { min: 0.2 max: 1.5 } }
layer { name: "sum2" type: "Eltwise" bottom: "clip" bottom: "power" top: "sum2" }
layer { name: "flat" type: "Flatten" bottom: "sum2" top: "flat" flatten_param { axis: 2 } }
layer { name: "reshape" type: "Reshape" bottom: "flat" top: "reshape"
        reshape_param { shape { dim: 0 dim: -1 } } }
layer { name: "ip" type: "InnerProduct" bottom: "reshape" top: "ip"
        inner_product_param { num_output: 7 } }
layer { name: "prob" type: "Softmax" bottom: "ip" top: "prob" }
layer { name: "lrn_within" type: "LRN" bottom: "data" top: "lrn_within"
        lrn_param { norm_region: WITHIN_CHANNEL local_size: 3 alpha: 2 beta: 0.75 } }
layer { name: "pad_flat" type: "Flatten" bottom: "ave_pad_ceil" top: "pad_flat" }
layer { name: "ave_pad_flat" type: "Flatten" bottom: "ave_pad" top: "ave_pad_flat" }
)";

TEST(OnnxLayers, ExportAndImportWithTheSameOutputs) {
  NetParameter param;
  ReadProtoFromTextString(kLayersNet, &param);
  // OpenCV 4.6 reads Split's sizes only as the attribute of opsets before
  // 13: check_zoo.py's numpy reading checks this one instead.
  RoundTrip(param, "layers", /*opencv=*/false);
}

// A layer ONNX cannot express stops the export with a sentence naming it.
TEST(OnnxLayers, RefusesWhatOnnxCannotSay) {
  NetParameter param;
  ReadProtoFromTextString(R"(
    layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 1 dim: 2 dim: 5 dim: 5 } } }
    layer { name: "pool" type: "Pooling" bottom: "data" top: "pool" top: "mask"
            pooling_param { pool: MAX kernel_size: 2 stride: 2 } }
  )",
                          &param);
  param.mutable_state()->set_phase(TEST);
  Net net(param);
  onnx::ModelProto model;
  try {
    ExportOnnx(net, OnnxExportOptions(), &model);
    FAIL() << "exported a max-pooling mask";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("layer 'pool' (Pooling)"), std::string::npos) << e.what();
  }
}

TEST(OnnxImport, RefusesAnUnknownOperatorByName) {
  onnx::ModelProto model;
  model.add_opset_import()->set_version(13);
  onnx::GraphProto* g = model.mutable_graph();
  onnx::ValueInfoProto* in = g->add_input();
  in->set_name("x");
  in->mutable_type()->mutable_tensor_type()->mutable_shape()->add_dim()->set_dim_value(2);
  onnx::NodeProto* node = g->add_node();
  node->set_name("fft");
  node->set_op_type("DFT");
  node->add_input("x");
  node->add_output("y");
  NetParameter net;
  try {
    ImportOnnx(model, &net);
    FAIL() << "imported a DFT node";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("node 'fft' (DFT)"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace testing
}  // namespace crema
