// upgrade_net_proto_binary IN OUT: rewrites a V0/V1 (or otherwise deprecated)
// binary net (a .caffemodel, weights included) in the current format.
#include <gflags/gflags.h>
#include <glog/logging.h>

#include <iostream>

#include "crema/common.hpp"
#include "crema/io/proto_io.hpp"
#include "crema/io/upgrade_proto.hpp"

int main(int argc, char** argv) {
  FLAGS_logtostderr = 1;
  gflags::SetUsageMessage(
      "Upgrades a binary net (a .caffemodel, weights included) written in an old\n"
      "Caffe format to the current one.\n"
      "Usage: upgrade_net_proto_binary IN.caffemodel OUT.caffemodel");
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  google::InitGoogleLogging(argv[0]);
  if (argc != 3) {
    std::cerr << gflags::ProgramUsage() << std::endl;
    return 1;
  }
  try {
    crema::NetParameter net;
    crema::ReadProtoFromBinaryFile(argv[1], &net);
    if (!crema::UpgradeNetAsNeeded(argv[1], &net)) {
      LOG(INFO) << argv[1] << " is already in the current format; writing it unchanged.";
    }
    crema::WriteProtoToBinaryFile(net, argv[2]);
    LOG(INFO) << "Wrote the upgraded net to " << argv[2];
  } catch (const crema::Error& e) {
    std::cerr << "upgrade_net_proto_binary: " << e.what() << std::endl;
    return 1;
  }
  return 0;
}
