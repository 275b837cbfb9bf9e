#include "crema/io/upgrade_proto.hpp"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/repeated_field.h>

#include <vector>

#include "crema/common.hpp"
#include "crema/io/paths.hpp"
#include "crema/io/proto_io.hpp"

namespace crema {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::RepeatedPtrField;


// ---------------------------------------------------------------------------
// V1 -> current
// ---------------------------------------------------------------------------

ParamSpec* SpecAt(LayerParameter* layer, int i) {
  while (layer->param_size() <= i) layer->add_param();
  return layer->mutable_param(i);
}

// Moves every per-layer message (convolution_param, transform_param, ...)
// to the same-named field of the current layer. The V1 message's fields are
// a subset of LayerParameter's, with the same names and message types.
void MoveLayerSpecificParams(V1LayerParameter* v1, LayerParameter* layer) {
  const auto* from = v1->GetReflection();
  const auto* to = layer->GetReflection();
  std::vector<const FieldDescriptor*> fields;
  from->ListFields(*v1, &fields);
  for (const FieldDescriptor* field : fields) {
    if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE || field->is_repeated() ||
        !EndsWith(field->name(), "_param")) {
      continue;
    }
    const FieldDescriptor* target = layer->GetDescriptor()->FindFieldByName(field->name());
    CHECK(target != nullptr && target->message_type() == field->message_type())
        << "LayerParameter lacks V1LayerParameter's " << field->name();
    to->SetAllocatedMessage(layer, from->ReleaseMessage(v1, field), target);
  }
}

void ConvertV1Layer(const std::string& source, int index, V1LayerParameter* v1,
                    LayerParameter* layer) {
  if (v1->has_layer()) {
    Throw(source, ": layers entry #", index, " ('", v1->name(),
          "') still wraps a V0 'layer { ... }' definition next to V1 fields; "
          "a net must use one format throughout.");
  }
  layer->Clear();
  if (v1->has_name()) layer->set_name(v1->name());
  if (v1->has_type()) layer->set_type(UpgradeV1LayerType(v1->type()));
  layer->mutable_bottom()->Swap(v1->mutable_bottom());
  layer->mutable_top()->Swap(v1->mutable_top());
  layer->mutable_include()->Swap(v1->mutable_include());
  layer->mutable_exclude()->Swap(v1->mutable_exclude());
  layer->mutable_blobs()->Swap(v1->mutable_blobs());
  for (int i = 0; i < v1->param_size(); ++i) SpecAt(layer, i)->set_name(v1->param(i));
  for (int i = 0; i < v1->blob_share_mode_size(); ++i) {
    SpecAt(layer, i)->set_share_mode(v1->blob_share_mode(i) == V1LayerParameter::PERMISSIVE
                                         ? ParamSpec::PERMISSIVE
                                         : ParamSpec::STRICT);
  }
  for (int i = 0; i < v1->blobs_lr_size(); ++i) SpecAt(layer, i)->set_lr_mult(v1->blobs_lr(i));
  for (int i = 0; i < v1->weight_decay_size(); ++i) {
    SpecAt(layer, i)->set_decay_mult(v1->weight_decay(i));
  }
  *layer->mutable_loss_weight() = v1->loss_weight();
  MoveLayerSpecificParams(v1, layer);
}

// Old preprocessing fields of a data-layer parameter, moved to transform_param.
template <typename DataParam>
bool HasOldTransformFields(const DataParam& p) {
  return p.has_scale() || p.has_mean_file() || p.has_crop_size() || p.has_mirror();
}

template <typename DataParam>
void MoveOldTransformFields(DataParam* p, TransformationParameter* t) {
  if (p->has_scale()) t->set_scale(p->scale());
  if (p->has_mean_file()) t->set_mean_file(p->mean_file());
  if (p->has_crop_size()) t->set_crop_size(p->crop_size());
  if (p->has_mirror()) t->set_mirror(p->mirror());
  p->clear_scale();
  p->clear_mean_file();
  p->clear_crop_size();
  p->clear_mirror();
}

enum class OldDataParam { kNone, kData, kImageData, kWindowData };

// Which data parameter of a layer still has old preprocessing fields. Works
// for V1 layers (enum type) and current ones (type name).
template <typename Layer>
OldDataParam FindOldDataParam(const Layer& layer, bool is_data, bool is_image, bool is_window) {
  if (is_data && HasOldTransformFields(layer.data_param())) return OldDataParam::kData;
  if (is_image && HasOldTransformFields(layer.image_data_param())) {
    return OldDataParam::kImageData;
  }
  if (is_window && HasOldTransformFields(layer.window_data_param())) {
    return OldDataParam::kWindowData;
  }
  return OldDataParam::kNone;
}

OldDataParam FindOldDataParam(const V1LayerParameter& l) {
  return FindOldDataParam(l, l.type() == V1LayerParameter::DATA,
                          l.type() == V1LayerParameter::IMAGE_DATA,
                          l.type() == V1LayerParameter::WINDOW_DATA);
}

OldDataParam FindOldDataParam(const LayerParameter& l) {
  return FindOldDataParam(l, l.type() == "Data", l.type() == "ImageData",
                          l.type() == "WindowData");
}

template <typename Layer>
void MoveOldTransformFields(Layer* layer) {
  switch (FindOldDataParam(*layer)) {
    case OldDataParam::kData:
      MoveOldTransformFields(layer->mutable_data_param(), layer->mutable_transform_param());
      break;
    case OldDataParam::kImageData:
      MoveOldTransformFields(layer->mutable_image_data_param(),
                             layer->mutable_transform_param());
      break;
    case OldDataParam::kWindowData:
      MoveOldTransformFields(layer->mutable_window_data_param(),
                             layer->mutable_transform_param());
      break;
    case OldDataParam::kNone:
      break;
  }
}

// Upgrades each net given inline in a solver; returns whether any changed.
bool UpgradeInlineNets(const std::string& source, SolverParameter* param) {
  bool changed = false;
  if (param->has_net_param()) {
    changed |= UpgradeNetAsNeeded(source + " (net_param)", param->mutable_net_param());
  }
  if (param->has_train_net_param()) {
    changed |=
        UpgradeNetAsNeeded(source + " (train_net_param)", param->mutable_train_net_param());
  }
  for (int i = 0; i < param->test_net_param_size(); ++i) {
    changed |= UpgradeNetAsNeeded(StrCat(source, " (test_net_param #", i, ")"),
                                  param->mutable_test_net_param(i));
  }
  return changed;
}

}  // namespace

// ---------------------------------------------------------------------------
// Checks and steps
// ---------------------------------------------------------------------------

bool NetNeedsDataUpgrade(const NetParameter& param) {
  for (const auto& layer : param.layers()) {
    if (FindOldDataParam(layer) != OldDataParam::kNone) return true;
  }
  for (const auto& layer : param.layer()) {
    if (FindOldDataParam(layer) != OldDataParam::kNone) return true;
  }
  return false;
}

void UpgradeNetDataTransformation(NetParameter* param) {
  for (auto& layer : *param->mutable_layers()) MoveOldTransformFields(&layer);
  for (auto& layer : *param->mutable_layer()) MoveOldTransformFields(&layer);
}

bool NetNeedsV1ToV2Upgrade(const NetParameter& param) { return param.layers_size() > 0; }

void UpgradeV1Net(const std::string& source, NetParameter* param) {
  if (param->layer_size() > 0) {
    Throw(source, ": the net has both current 'layer' entries (", param->layer_size(),
          ") and old V1 'layers' entries (", param->layers_size(),
          "); a net must use one format throughout.");
  }
  RepeatedPtrField<V1LayerParameter> v1_layers;
  v1_layers.Swap(param->mutable_layers());
  for (int i = 0; i < v1_layers.size(); ++i) {
    ConvertV1Layer(source, i, v1_layers.Mutable(i), param->add_layer());
  }
}

std::string UpgradeV1LayerType(V1LayerParameter::LayerType type) {
  switch (type) {
    case V1LayerParameter::NONE: return "";
    case V1LayerParameter::ABSVAL: return "AbsVal";
    case V1LayerParameter::ACCURACY: return "Accuracy";
    case V1LayerParameter::ARGMAX: return "ArgMax";
    case V1LayerParameter::BNLL: return "BNLL";
    case V1LayerParameter::CONCAT: return "Concat";
    case V1LayerParameter::CONTRASTIVE_LOSS: return "ContrastiveLoss";
    case V1LayerParameter::CONVOLUTION: return "Convolution";
    case V1LayerParameter::DATA: return "Data";
    case V1LayerParameter::DECONVOLUTION: return "Deconvolution";
    case V1LayerParameter::DROPOUT: return "Dropout";
    case V1LayerParameter::DUMMY_DATA: return "DummyData";
    case V1LayerParameter::EUCLIDEAN_LOSS: return "EuclideanLoss";
    case V1LayerParameter::ELTWISE: return "Eltwise";
    case V1LayerParameter::EXP: return "Exp";
    case V1LayerParameter::FLATTEN: return "Flatten";
    case V1LayerParameter::HDF5_DATA: return "HDF5Data";
    case V1LayerParameter::HDF5_OUTPUT: return "HDF5Output";
    case V1LayerParameter::HINGE_LOSS: return "HingeLoss";
    case V1LayerParameter::IM2COL: return "Im2col";
    case V1LayerParameter::IMAGE_DATA: return "ImageData";
    case V1LayerParameter::INFOGAIN_LOSS: return "InfogainLoss";
    case V1LayerParameter::INNER_PRODUCT: return "InnerProduct";
    case V1LayerParameter::LRN: return "LRN";
    case V1LayerParameter::MEMORY_DATA: return "MemoryData";
    case V1LayerParameter::MULTINOMIAL_LOGISTIC_LOSS: return "MultinomialLogisticLoss";
    case V1LayerParameter::MVN: return "MVN";
    case V1LayerParameter::POOLING: return "Pooling";
    case V1LayerParameter::POWER: return "Power";
    case V1LayerParameter::RELU: return "ReLU";
    case V1LayerParameter::SIGMOID: return "Sigmoid";
    case V1LayerParameter::SIGMOID_CROSS_ENTROPY_LOSS: return "SigmoidCrossEntropyLoss";
    case V1LayerParameter::SILENCE: return "Silence";
    case V1LayerParameter::SOFTMAX: return "Softmax";
    case V1LayerParameter::SOFTMAX_LOSS: return "SoftmaxWithLoss";
    case V1LayerParameter::SPLIT: return "Split";
    case V1LayerParameter::SLICE: return "Slice";
    case V1LayerParameter::TANH: return "TanH";
    case V1LayerParameter::WINDOW_DATA: return "WindowData";
    case V1LayerParameter::THRESHOLD: return "Threshold";
  }
  Throw("Unknown V1 layer type value ", static_cast<int>(type), ".");
}

bool NetNeedsInputUpgrade(const NetParameter& param) { return param.input_size() > 0; }

void UpgradeNetInput(const std::string& source, NetParameter* param) {
  const bool has_shape = param->input_shape_size() > 0;
  const bool has_dim = param->input_dim_size() > 0;
  if (has_shape && param->input_shape_size() != param->input_size()) {
    Throw(source, ": ", param->input_size(), " input(s) but ", param->input_shape_size(),
          " input_shape entries; give exactly one input_shape per input.");
  }
  if (!has_shape && has_dim && param->input_dim_size() != 4 * param->input_size()) {
    Throw(source, ": ", param->input_size(), " input(s) but ", param->input_dim_size(),
          " input_dim values; the deprecated input_dim takes four (N, C, H, W) per input.");
  }
  if (has_shape || has_dim) {
    LayerParameter* layer = param->add_layer();
    layer->set_name("input");
    layer->set_type("Input");
    InputParameter* input = layer->mutable_input_param();
    for (int i = 0; i < param->input_size(); ++i) {
      layer->add_top(param->input(i));
      if (has_shape) {
        *input->add_shape() = param->input_shape(i);
      } else {
        BlobShape* shape = input->add_shape();
        for (int d = 4 * i; d < 4 * i + 4; ++d) shape->add_dim(param->input_dim(d));
      }
    }
    // The inputs feed everything else, so the Input layer comes first.
    for (int i = param->layer_size() - 1; i > 0; --i) {
      param->mutable_layer()->SwapElements(i, i - 1);
    }
  }
  // Without shapes (weights files) the names alone carry nothing to keep.
  param->clear_input();
  param->clear_input_shape();
  param->clear_input_dim();
}

bool NetNeedsBatchNormUpgrade(const NetParameter& param) {
  // Caffe checks only for the three specs; also requiring one that is not
  // yet zero makes the check false once the upgrade has run.
  for (const auto& layer : param.layer()) {
    if (layer.type() != "BatchNorm" || layer.param_size() != 3) continue;
    for (const auto& spec : layer.param()) {
      if (spec.lr_mult() != 0.f || spec.decay_mult() != 0.f) return true;
    }
  }
  return false;
}

void UpgradeNetBatchNorm(NetParameter* param) {
  for (auto& layer : *param->mutable_layer()) {
    if (layer.type() != "BatchNorm" || layer.param_size() != 3) continue;
    for (auto& spec : *layer.mutable_param()) {
      spec.set_lr_mult(0.f);
      spec.set_decay_mult(0.f);
    }
  }
}

bool NetNeedsUpgrade(const NetParameter& param) {
  return NetNeedsV0ToV1Upgrade(param) || NetNeedsDataUpgrade(param) ||
         NetNeedsV1ToV2Upgrade(param) || NetNeedsInputUpgrade(param) ||
         NetNeedsBatchNormUpgrade(param);
}

bool UpgradeNetAsNeeded(const std::string& source, NetParameter* param) {
  bool changed = false;
  if (NetNeedsV0ToV1Upgrade(*param)) {
    UpgradeV0Net(source, param);
    LOG(INFO) << "Upgraded " << source
              << " from Caffe's V0 net format (layers { layer { type: \"conv\" } }) to V1.";
    changed = true;
  }
  if (NetNeedsDataUpgrade(*param)) {
    UpgradeNetDataTransformation(param);
    LOG(INFO) << "Upgraded " << source << ": moved data-layer scale/mean_file/crop_size/"
              << "mirror into transform_param.";
    changed = true;
  }
  if (NetNeedsV1ToV2Upgrade(*param)) {
    UpgradeV1Net(source, param);
    LOG(INFO) << "Upgraded " << source
              << " from Caffe's V1 net format (layers { type: CONVOLUTION }) to the current one.";
    changed = true;
  }
  if (NetNeedsInputUpgrade(*param)) {
    UpgradeNetInput(source, param);
    LOG(INFO) << "Upgraded " << source << ": top-level input fields became an Input layer.";
    changed = true;
  }
  if (NetNeedsBatchNormUpgrade(*param)) {
    UpgradeNetBatchNorm(param);
    LOG(INFO) << "Upgraded " << source
              << ": BatchNorm param specs now have lr_mult 0 and decay_mult 0.";
    changed = true;
  }
  return changed;
}

bool SolverNeedsTypeUpgrade(const SolverParameter& param) { return param.has_solver_type(); }

void UpgradeSolverType(const std::string& source, SolverParameter* param) {
  if (param->has_type()) {
    Throw(source, ": the solver sets both the old solver_type (",
          SolverParameter::SolverType_Name(param->solver_type()), ") and type (\"",
          param->type(), "\"); keep only type.");
  }
  const char* type = "SGD";
  switch (param->solver_type()) {
    case SolverParameter::SGD: type = "SGD"; break;
    case SolverParameter::NESTEROV: type = "Nesterov"; break;
    case SolverParameter::ADAGRAD: type = "AdaGrad"; break;
    case SolverParameter::RMSPROP: type = "RMSProp"; break;
    case SolverParameter::ADADELTA: type = "AdaDelta"; break;
    case SolverParameter::ADAM: type = "Adam"; break;
  }
  param->set_type(type);
  param->clear_solver_type();
}

bool SolverNeedsUpgrade(const SolverParameter& param) {
  if (SolverNeedsTypeUpgrade(param)) return true;
  if (param.has_net_param() && NetNeedsUpgrade(param.net_param())) return true;
  if (param.has_train_net_param() && NetNeedsUpgrade(param.train_net_param())) return true;
  for (const auto& net : param.test_net_param()) {
    if (NetNeedsUpgrade(net)) return true;
  }
  return false;
}

bool UpgradeSolverAsNeeded(const std::string& source, SolverParameter* param) {
  bool changed = false;
  if (SolverNeedsTypeUpgrade(*param)) {
    UpgradeSolverType(source, param);
    LOG(INFO) << "Upgraded " << source << ": solver_type enum became type: \""
              << param->type() << "\".";
    changed = true;
  }
  changed |= UpgradeInlineNets(source, param);
  return changed;
}

// ---------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------

void ReadNetParamsFromTextFile(const std::string& path, NetParameter* param) {
  ReadProtoFromTextFile(path, param);
  UpgradeNetAsNeeded(path, param);
}

void ReadNetParamsFromBinaryFile(const std::string& path, NetParameter* param) {
  ReadProtoFromBinaryFile(path, param);
  UpgradeNetAsNeeded(path, param);
}

void ReadNetParamsFromFile(const std::string& path, NetParameter* param) {
  const bool binary_first =
      EndsWith(path, ".caffemodel") || EndsWith(path, ".binaryproto");
  try {
    if (binary_first) {
      ReadProtoFromBinaryFile(path, param);
    } else {
      ReadProtoFromTextFile(path, param);
    }
  } catch (const Error& first) {
    if (!FileExists(path)) throw;
    param->Clear();
    try {
      if (binary_first) {
        ReadProtoFromTextFile(path, param);
      } else {
        ReadProtoFromBinaryFile(path, param);
      }
    } catch (const Error&) {
      param->Clear();
      throw first;
    }
    LOG(INFO) << path << " is stored as " << (binary_first ? "text" : "binary")
              << ", not the " << (binary_first ? "binary" : "text")
              << " its name suggests; read it as such.";
  }
  UpgradeNetAsNeeded(path, param);
}

void ReadSolverParamsFromTextFile(const std::string& path, SolverParameter* param) {
  ReadProtoFromTextFile(path, param);
  UpgradeSolverAsNeeded(path, param);
}

void UpgradeNetFile(const std::string& in, const std::string& out, bool binary) {
  NetParameter net;
  if (binary) {
    ReadProtoFromBinaryFile(in, &net);
  } else {
    ReadProtoFromTextFile(in, &net);
  }
  if (!UpgradeNetAsNeeded(in, &net)) {
    LOG(INFO) << in << " is already in the current format; writing it unchanged.";
  }
  if (binary) {
    WriteProtoToBinaryFile(net, out);
  } else {
    WriteProtoToTextFile(net, out);
  }
  LOG(INFO) << "Wrote the upgraded net to " << out;
}

void UpgradeSolverFile(const std::string& in, const std::string& out) {
  SolverParameter solver;
  ReadProtoFromTextFile(in, &solver);
  if (!UpgradeSolverAsNeeded(in, &solver)) {
    LOG(INFO) << in << " is already in the current format; writing it unchanged.";
  }
  WriteProtoToTextFile(solver, out);
  LOG(INFO) << "Wrote the upgraded solver to " << out;
}

}  // namespace crema
