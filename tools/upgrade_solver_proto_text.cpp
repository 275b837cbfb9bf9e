// upgrade_solver_proto_text IN OUT: rewrites a solver prototxt that uses the
// deprecated solver_type enum (or an inline net in an old format) in the
// current format.
#include "crema/io/upgrade_proto.hpp"
#include "crema/tool.hpp"

int main(int argc, char** argv) {
  return crema::RunTool(
      argc, argv,
      "Upgrades a solver prototxt written in an old Caffe format to the current one.\n"
      "Usage: upgrade_solver_proto_text IN.prototxt OUT.prototxt",
      [](int argc, char** argv) {
        crema::ExpectArgs(argc, 2, 2);
        crema::UpgradeSolverFile(argv[1], argv[2]);
        return 0;
      });
}
