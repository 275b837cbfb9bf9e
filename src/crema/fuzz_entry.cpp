#include "crema/fuzz_entry.hpp"

#include <hdf5.h>

#include <cstdio>
#include <memory>
#include <sstream>

#include "crema/blob.hpp"
#include "crema/classifier.hpp"
#include "crema/common.hpp"
#include "crema/data/data_transformer.hpp"
#include "crema/data/datum.hpp"
#include "crema/data/image_set.hpp"
#include "crema/insert_splits.hpp"
#include "crema/io/proto_io.hpp"
#include "crema/io/upgrade_proto.hpp"
#include "crema/layer_registry.hpp"
#include "crema/layers/hdf5_data_layer.hpp"
#include "crema/net.hpp"
#include "crema/solver.hpp"
#include "fuzz_fixtures.hpp"

namespace crema {
namespace fuzz {
namespace {

Net& FixtureNet() {
  static std::unique_ptr<Net> net = [] {
    NetParameter param;
    ReadProtoFromTextString(kFixtureNet, &param, "fixture net");
    return std::make_unique<Net>(param);
  }();
  return *net;
}

Solver& FixtureSolver() {
  static std::unique_ptr<Solver> solver = [] {
    SolverParameter param;
    ReadProtoFromTextString(kFixtureNet, param.mutable_net_param(), "fixture net");
    param.set_type("SGD");
    param.set_base_lr(0.01f);
    param.set_momentum(0.9f);
    param.set_lr_policy("fixed");
    param.set_snapshot_prefix(ScratchPath("snapshot"));
    return CreateSolver(param);
  }();
  return *solver;
}

Classifier& FixtureClassifier() {
  static std::unique_ptr<Classifier> classifier = [] {
    ClassifierOptions options;
    options.model_file = WriteScratch("deploy.prototxt", kFixtureDeployNet);
    options.mean_values = {104.f, 117.f, 123.f};
    options.channel_swap = {2, 1, 0};
    options.resize_height = 10;
    options.resize_width = 10;
    return std::make_unique<Classifier>(options);
  }();
  return *classifier;
}

// Runs each step even when an earlier one refused its input, then reports
// the first refusal, so one input reaches every reader it can.
class FirstError {
 public:
  template <typename F>
  void Try(const F& step) {
    try {
      step();
    } catch (const Error& e) {
      if (message_.empty()) message_ = e.what();
    }
  }
  void Rethrow() const {
    if (!message_.empty()) throw Error(message_);
  }

 private:
  std::string message_;
};

// What DataLayer does with a record: shape from the first one, then the
// transform, under a plain, a cropping/mirroring and a forced-gray setting.
// An encoded record is decoded once for the cropping setting and through
// the Datum path for the forced-gray one.
void DataLayerPath(const Datum& datum) {
  static const char* const kTransforms[] = {
      "", "crop_size: 2 mirror: true mean_value: 10 scale: 0.5", "force_gray: true"};
  static const std::vector<TransformationParameter> params = [] {
    std::vector<TransformationParameter> all(3);
    for (int i = 0; i < 3; ++i) ReadProtoFromTextString(kTransforms[i], &all[i], "fixture");
    return all;
  }();
  FirstError first;
  cv::Mat decoded;
  bool decode_failed = false;
  if (datum.encoded()) {
    first.Try([&] {
      decode_failed = true;
      decoded = DecodeDatumToCVMatNative(datum);
      decode_failed = false;
    });
  }
  for (int i = 0; i < 3; ++i) {
    first.Try([&] {
      DataTransformer transformer(params[i], i == 1 ? TRAIN : TEST, "fuzz Data layer");
      if (datum.encoded() && i < 2) {
        // The plain setting's full-size copy of a decoded image is the raw
        // Datum's path (the datum target); the cropped one covers the rest.
        if (decode_failed || i == 0) return;
        Blob trial(transformer.InferBlobShape(decoded));
        transformer.Transform(decoded, &trial);
        return;
      }
      Blob trial(transformer.InferBlobShape(datum));
      transformer.Transform(datum, &trial);
    });
  }
  first.Rethrow();
}

}  // namespace

void NetPrototxt(const std::string& bytes) {
  NetParameter param;
  ReadProtoFromTextString(bytes, &param, "<net prototxt>");
  UpgradeNetAsNeeded("<net prototxt>", &param);
  InsertSplits(Net::FilterNet(param));
}

void SolverPrototxt(const std::string& bytes) {
  SolverParameter param;
  ReadProtoFromTextString(bytes, &param, "<solver prototxt>");
  UpgradeSolverAsNeeded("<solver prototxt>", &param);
}

void UpgradeNet(const std::string& bytes) {
  NetParameter param;
  ReadProtoFromTextString(bytes, &param, "<legacy net>");
  if (NetNeedsV0ToV1Upgrade(param)) UpgradeV0Net("<legacy net>", &param);
  if (NetNeedsDataUpgrade(param)) UpgradeNetDataTransformation(&param);
  if (NetNeedsV1ToV2Upgrade(param)) UpgradeV1Net("<legacy net>", &param);
  if (NetNeedsInputUpgrade(param)) UpgradeNetInput("<legacy net>", &param);
  if (NetNeedsBatchNormUpgrade(param)) UpgradeNetBatchNorm(&param);
  Net::FilterNet(param);
}

void Caffemodel(const std::string& bytes) {
  NetParameter param;
  ReadProtoFromBinaryString(bytes, &param, "<caffemodel>");
  UpgradeNetAsNeeded("<caffemodel>", &param);
  FixtureNet().CopyTrainedLayersFrom(param, "<caffemodel>");
}

void BinaryProto(const std::string& bytes) {
  BlobProto proto;
  ReadProtoFromBinaryString(bytes, &proto, "<binaryproto>");
  FirstError first;
  first.Try([&] {
    Blob mean;
    MeanFromProto(proto, "<binaryproto>", &mean);
  });
  first.Try([&] {
    Blob blob;
    blob.FromProto(proto, true);
  });
  first.Rethrow();
}

void SolverStateFile(const std::string& bytes) {
  SolverState state;
  ReadProtoFromBinaryString(bytes, &state, "<solverstate>");
  // Named as a file in the scratch folder, where a learned_net is looked for.
  FixtureSolver().RestoreFrom(state, ScratchPath("fuzz.solverstate"));
}

void DatumValue(const std::string& bytes) {
  Datum datum;
  ReadProtoFromBinaryString(bytes, &datum, "<LMDB value>");
  DataLayerPath(datum);
}

void EncodedImage(const std::string& bytes) {
  Datum datum;
  datum.set_encoded(true);
  datum.set_data(bytes);
  DataLayerPath(datum);
}

void Hdf5File(const std::string& bytes) {
  // HDF5 hands the blocks it frees back to the system above small limits;
  // kept instead, each open does not fault in its metadata cache again.
  static const bool keep = [] { return H5set_free_list_limits(-1, -1, -1, -1, -1, -1) >= 0; }();
  (void)keep;
  ReadHDF5Image(bytes, "<hdf5>", {"data", "label"});
}

void ListFile(const std::string& bytes) {
  FirstError first;
  first.Try([&] { ParseImageList(bytes, "<list>"); });
  first.Try([&] {
    std::istringstream in(bytes);
    ParseLabels(in);
  });
  first.Rethrow();
}

void ClassifyImage(const std::string& bytes) {
  Classifier& classifier = FixtureClassifier();
  classifier.Classify({classifier.DecodeImage(bytes, "<image>")}, 2, 1);
}

const std::vector<Target>& Targets() {
  static const std::vector<Target> targets = {
      {"net_prototxt", NetPrototxt, "a net .prototxt (text NetParameter)"},
      {"solver_prototxt", SolverPrototxt, "a solver .prototxt (text SolverParameter)"},
      {"upgrade_net", UpgradeNet, "a V0/V1 net .prototxt through each upgrade step"},
      {"caffemodel", Caffemodel, "a .caffemodel (binary NetParameter) loaded into a net"},
      {"binaryproto", BinaryProto, "a .binaryproto (BlobProto) read as a mean image"},
      {"solverstate", SolverStateFile, "a .solverstate restored into a solver"},
      {"datum", DatumValue, "an LMDB value (Datum) through the Data layer's transform"},
      {"encoded_image", EncodedImage, "image bytes in an encoded Datum, decoded"},
      {"hdf5", Hdf5File, "an .h5 file read by the HDF5Data layer"},
      {"list_file", ListFile, "an image list / labels file"},
      {"classify_image", ClassifyImage, "an image file given to classify"},
  };
  return targets;
}

const Target& FindTarget(const std::string& name) {
  std::vector<std::string> names;
  for (const Target& target : Targets()) {
    if (name == target.name) return target;
    names.push_back(target.name);
  }
  Throw("No fuzz target '", name, "'; the targets are ", JoinNames(names), ".");
}

bool RunOne(Entry entry, const std::string& bytes, std::string* error) {
  try {
    entry(bytes);
    return true;
  } catch (const Error& e) {
    if (error) *error = e.what();
    return false;
  }
}

}  // namespace fuzz
}  // namespace crema
