// upgrade_net_proto_text IN OUT: rewrites a V0/V1 (or otherwise deprecated)
// net prototxt in the current format.
#include "crema/io/upgrade_proto.hpp"
#include "crema/tool.hpp"

int main(int argc, char** argv) {
  return crema::RunTool(
      argc, argv,
      "Upgrades a net prototxt written in an old Caffe format to the current one.\n"
      "Usage: upgrade_net_proto_text IN.prototxt OUT.prototxt",
      [](int argc, char** argv) {
        crema::ExpectArgs(argc, 2, 2);
        crema::UpgradeNetFile(argv[1], argv[2], /*binary=*/false);
        return 0;
      });
}
