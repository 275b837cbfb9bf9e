// extract_features: stores the values of chosen blobs for every example, with
// Caffe's positional interface:
//   extract_features WEIGHTS NET_PROTOTXT BLOB1[,BLOB2...] DB1[,DB2...]
//                    NUM_MINI_BATCHES lmdb|leveldb|npy [CPU]
#include <gflags/gflags.h>

#include <sstream>
#include <string>
#include <vector>

#include "crema/classifier.hpp"
#include "crema/common.hpp"
#include "crema/feature_extractor.hpp"
#include "crema/io/upgrade_proto.hpp"
#include "crema/precision.hpp"
#include "crema/io/proto_io.hpp"
#include "crema/net.hpp"
#include "crema/progress.hpp"
#include "crema/tool.hpp"

namespace {

DEFINE_string(precision, "", "Arithmetic of DNNL convolutions and inner products: fp32, bf16 "
              "or int8 (default: the net's own, fp32). Falls back to fp32, and says so, "
              "where the CPU lacks the instructions.");
DEFINE_string(calibration, "", "int8: the calibration file (default: the one tools/calibrate "
              "wrote next to the weights).");

const char kUsage[] =
    "Runs a net (TEST phase) for NUM_MINI_BATCHES batches and stores the chosen\n"
    "blobs of every example.\n"
    "Usage:\n"
    "  extract_features WEIGHTS NET_PROTOTXT BLOB1[,BLOB2...] DB1[,DB2...] \\\n"
    "                   NUM_MINI_BATCHES lmdb|leveldb|npy [CPU]\n"
    "lmdb, leveldb: DB_i is a new database of Datums (float_data;\n"
    "      channels/height/width = the blob's C/H/W) under keys \"%010d\" of the\n"
    "      example index, as Caffe writes.\n"
    "npy:  DB_i.npy holds an N x C x H x W float32 array (numpy.load reads it).";

int Extract(int argc, char** argv) {
  if (argc < 7 || argc > 9) {
    crema::Throw("Expected 6 or 7 arguments, got ", argc - 1, ".\n", kUsage);
  }
  if (argc >= 8) {
    const std::string mode = argv[7];
    if (mode == "GPU") {
      crema::Throw("This build of crema has no GPU support; give CPU (or nothing).");
    }
    if (mode != "CPU") crema::Throw("Unknown mode '", mode, "'; give CPU.");
  }
  const std::string weights = argv[1];
  const std::string model = argv[2];
  crema::FeatureExtractionOptions options;
  options.blob_names = crema::SplitCommas(argv[3]);
  options.outputs = crema::SplitCommas(argv[4]);
  const std::string batches = argv[5];
  try {
    size_t used = 0;
    options.num_mini_batches = std::stoi(batches, &used);
    if (used != batches.size()) throw std::invalid_argument(batches);
  } catch (const std::exception&) {
    crema::Throw("NUM_MINI_BATCHES '", batches, "' is not a number.");
  }
  options.format = crema::ParseFeatureFormat(argv[6]);
  if (!crema::FileExists(model)) crema::Throw("The net file '", model, "' does not exist.");
  crema::NetParameter param;
  crema::ReadNetParamsFromTextFile(model, &param);
  param.mutable_state()->set_phase(crema::TEST);
  crema::SetNetPrecision(FLAGS_precision, FLAGS_calibration, weights, &param);
  crema::Net net(param);
  crema::CopyWeightsChecked(&net, weights);
  net.ShareActivationMemory(options.blob_names);  // the extracted blobs keep theirs
  net.set_plain_after_pass(false);                 // ExtractFeatures converts them
  crema::ProgressBar bar("extract_features", options.num_mini_batches);
  options.progress = [&bar](int done, int) { bar.Update(done); };
  const crema::FeatureExtractionResult result = crema::ExtractFeatures(&net, options);
  bar.Update(options.num_mini_batches);
  bar.Finish();
  LOG(INFO) << "Successfully extracted the features of " << result.examples << " examples.";
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return crema::RunTool(argc, argv, kUsage, Extract); }
