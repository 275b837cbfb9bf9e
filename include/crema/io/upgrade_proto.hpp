// Reading net and solver definitions, upgrading Caffe's older formats
// (V0 'layers { layer { ... } }', V1 'layers { type: CONVOLUTION }',
// top-level input fields, data-layer transform fields, solver_type enums)
// to the current one.
#ifndef CREMA_IO_UPGRADE_PROTO_HPP_
#define CREMA_IO_UPGRADE_PROTO_HPP_

#include <string>

#include "crema/proto/crema.pb.h"

namespace crema {

// Upgrades param in place when it uses an old format; logs one line naming
// `source` when it did. Returns true when anything changed.
bool UpgradeNetAsNeeded(const std::string& source, NetParameter* param);
bool UpgradeSolverAsNeeded(const std::string& source, SolverParameter* param);

// Read (text or binary) and upgrade; throw crema::Error on failure.
void ReadNetParamsFromTextFile(const std::string& path, NetParameter* param);
void ReadNetParamsFromBinaryFile(const std::string& path, NetParameter* param);
void ReadSolverParamsFromTextFile(const std::string& path, SolverParameter* param);

}  // namespace crema

#endif  // CREMA_IO_UPGRADE_PROTO_HPP_
