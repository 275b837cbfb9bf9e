// upgrade_solver_proto_text IN OUT: rewrites a solver prototxt that uses the
// deprecated solver_type enum (or an inline net in an old format) in the
// current format.
#include <gflags/gflags.h>
#include <glog/logging.h>

#include <iostream>

#include "crema/common.hpp"
#include "crema/io/proto_io.hpp"
#include "crema/io/upgrade_proto.hpp"

int main(int argc, char** argv) {
  FLAGS_logtostderr = 1;
  gflags::SetUsageMessage(
      "Upgrades a solver prototxt written in an old Caffe format to the current one.\n"
      "Usage: upgrade_solver_proto_text IN.prototxt OUT.prototxt");
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  google::InitGoogleLogging(argv[0]);
  if (argc != 3) {
    std::cerr << gflags::ProgramUsage() << std::endl;
    return 1;
  }
  try {
    crema::SolverParameter solver;
    crema::ReadProtoFromTextFile(argv[1], &solver);
    if (!crema::UpgradeSolverAsNeeded(argv[1], &solver)) {
      LOG(INFO) << argv[1] << " is already in the current format; writing it unchanged.";
    }
    crema::WriteProtoToTextFile(solver, argv[2]);
    LOG(INFO) << "Wrote the upgraded solver to " << argv[2];
  } catch (const crema::Error& e) {
    std::cerr << "upgrade_solver_proto_text: " << e.what() << std::endl;
    return 1;
  }
  return 0;
}
