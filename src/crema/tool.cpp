#include "crema/tool.hpp"

#include <gflags/gflags.h>
#include <glog/logging.h>

#include <cstring>
#include <iostream>

#include "crema/common.hpp"

namespace crema {

int RunTool(int argc, char** argv, const std::string& usage,
            const std::function<int(int argc, char** argv)>& body) {
  const char* slash = std::strrchr(argv[0], '/');
  const std::string name = slash ? slash + 1 : argv[0];
  gflags::SetUsageMessage(usage);
  gflags::SetVersionString("0.1.0");
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  FLAGS_logtostderr = true;
  google::InitGoogleLogging(argv[0]);
  try {
    return body(argc, argv);
  } catch (const Error& e) {
    std::cerr << name << ": error: " << e.what() << std::endl;
  } catch (const std::exception& e) {
    std::cerr << name << ": error: " << e.what() << std::endl;
  }
  return 1;
}

}  // namespace crema
