#include "crema/io/upgrade_proto.hpp"

#include "crema/common.hpp"
#include "crema/io/proto_io.hpp"

namespace crema {

bool UpgradeNetAsNeeded(const std::string& source, NetParameter* param) {
  if (param->layers_size() > 0) {
    Throw(source, ": this net uses Caffe's old V1/V0 'layers' format, which "
          "this build cannot upgrade yet.");
  }
  return false;
}

bool UpgradeSolverAsNeeded(const std::string& source, SolverParameter* param) {
  return false;
}

void ReadNetParamsFromTextFile(const std::string& path, NetParameter* param) {
  ReadProtoFromTextFile(path, param);
  UpgradeNetAsNeeded(path, param);
}

void ReadNetParamsFromBinaryFile(const std::string& path, NetParameter* param) {
  ReadProtoFromBinaryFile(path, param);
  UpgradeNetAsNeeded(path, param);
}

void ReadSolverParamsFromTextFile(const std::string& path, SolverParameter* param) {
  ReadProtoFromTextFile(path, param);
  UpgradeSolverAsNeeded(path, param);
}

}  // namespace crema
