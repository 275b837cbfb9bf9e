// upgrade_net_proto_binary IN OUT: rewrites a V0/V1 (or otherwise deprecated)
// binary net (a .caffemodel, weights included) in the current format.
#include "crema/io/upgrade_proto.hpp"
#include "crema/tool.hpp"

int main(int argc, char** argv) {
  return crema::RunTool(
      argc, argv,
      "Upgrades a binary net (a .caffemodel, weights included) written in an old\n"
      "Caffe format to the current one.\n"
      "Usage: upgrade_net_proto_binary IN.caffemodel OUT.caffemodel",
      [](int argc, char** argv) {
        crema::ExpectArgs(argc, 2, 2);
        crema::UpgradeNetFile(argv[1], argv[2], /*binary=*/true);
        return 0;
      });
}
