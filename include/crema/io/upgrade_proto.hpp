// Reading net and solver definitions, upgrading Caffe's older formats
// (V0 'layers { layer { ... } }', V1 'layers { type: CONVOLUTION }',
// top-level input fields, data-layer transform fields, solver_type enums)
// to the current one.
//
// The rules are Caffe's (src/caffe/util/upgrade_proto.cpp): a file that
// Caffe upgrades loads here into the same NetParameter, weights included.
// Each step that changes something logs one line naming the source file.
// Problems Caffe treats as fatal (an unknown V0 layer type, a padding layer
// feeding anything but a convolution or pooling layer) and files that mix
// formats throw crema::Error; a V0 field that a layer type does not take is
// logged as a warning and dropped, as Caffe does.
#ifndef CREMA_IO_UPGRADE_PROTO_HPP_
#define CREMA_IO_UPGRADE_PROTO_HPP_

#include <string>

#include "crema/proto/crema.pb.h"

namespace crema {

// Upgrades param in place when it uses an old format; logs one line naming
// `source` for each step taken. Returns true when anything changed.
bool UpgradeNetAsNeeded(const std::string& source, NetParameter* param);
// Upgrades solver_type and any net given inline (net_param,
// train_net_param, test_net_param). Returns true when anything changed.
bool UpgradeSolverAsNeeded(const std::string& source, SolverParameter* param);

// Read (text or binary) and upgrade; throw crema::Error on failure.
void ReadNetParamsFromTextFile(const std::string& path, NetParameter* param);
void ReadNetParamsFromBinaryFile(const std::string& path, NetParameter* param);
// Binary first for .caffemodel / .binaryproto, text first otherwise; the
// other encoding is tried when the first does not parse (Caffe accepts
// text-format weights). The error of the first attempt is reported.
void ReadNetParamsFromFile(const std::string& path, NetParameter* param);
void ReadSolverParamsFromTextFile(const std::string& path, SolverParameter* param);

// What the upgrade_* tools do: read `in`, upgrade it, write `out` (in the
// same encoding), logging whether anything changed.
void UpgradeNetFile(const std::string& in, const std::string& out, bool binary);
void UpgradeSolverFile(const std::string& in, const std::string& out);

// --- The individual checks and steps, in the order UpgradeNetAsNeeded ---
// --- applies them. `source` names the file in messages.               ---

bool NetNeedsUpgrade(const NetParameter& param);
bool SolverNeedsUpgrade(const SolverParameter& param);

// Some 'layers' entry wraps a V0 'layer { type: "conv" ... }'.
bool NetNeedsV0ToV1Upgrade(const NetParameter& param);
// Folds "padding" layers into the convolution/pooling layer they feed, then
// turns each V0 layer into a V1 one (fields moved to their *_param).
void UpgradeV0Net(const std::string& source, NetParameter* param);

// A Data/ImageData/WindowData layer (V1 or current) keeps scale, mean_file,
// crop_size or mirror in its data parameter instead of transform_param.
bool NetNeedsDataUpgrade(const NetParameter& param);
void UpgradeNetDataTransformation(NetParameter* param);

// The net has V1 'layers' entries.
bool NetNeedsV1ToV2Upgrade(const NetParameter& param);
// Turns every 'layers' entry into a 'layer' entry: type names, blobs_lr ->
// param.lr_mult, weight_decay -> param.decay_mult, param names, share
// modes, rules, weights and every per-layer parameter. Blobs are moved, not
// copied, so multi-hundred-megabyte models do not double in memory.
void UpgradeV1Net(const std::string& source, NetParameter* param);
// "Convolution" for CONVOLUTION, ...; throws for a value with no name.
std::string UpgradeV1LayerType(V1LayerParameter::LayerType type);

// The net declares its inputs with top-level input/input_dim/input_shape.
bool NetNeedsInputUpgrade(const NetParameter& param);
// Replaces them with an Input layer named "input" placed first (a weights
// file with input names but no shapes just loses the names).
void UpgradeNetInput(const std::string& source, NetParameter* param);

// A BatchNorm layer lists its three statistics blobs as param specs, as the
// original BatchNorm definition required, and one of them is not yet fixed
// at lr_mult 0, decay_mult 0.
bool NetNeedsBatchNormUpgrade(const NetParameter& param);
// Sets lr_mult and decay_mult of those specs to 0, keeping names and share
// modes (the statistics are not learned).
void UpgradeNetBatchNorm(NetParameter* param);

// The solver uses the solver_type enum.
bool SolverNeedsTypeUpgrade(const SolverParameter& param);
// solver_type: ADAGRAD -> type: "AdaGrad", ...; an error when both are set.
void UpgradeSolverType(const std::string& source, SolverParameter* param);

}  // namespace crema

#endif  // CREMA_IO_UPGRADE_PROTO_HPP_
