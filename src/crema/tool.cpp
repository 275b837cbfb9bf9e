#include "crema/tool.hpp"

#include <gflags/gflags.h>
#include <glog/logging.h>

#include <cstring>
#include <iostream>
#include <sstream>

namespace crema {
namespace {

bool WantsHelp(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--help") || !std::strcmp(argv[i], "-help") ||
        !std::strcmp(argv[i], "-h")) {
      return true;
    }
  }
  return false;
}

}  // namespace

void ExpectArgs(int argc, int min, int max) {
  const int given = argc - 1;
  if (given < min || given > max) {
    throw UsageError(StrCat("expected ", min == max ? StrCat(min) : StrCat(min, " to ", max),
                            " argument(s), got ", given, "."));
  }
}

std::vector<std::string> SplitCommas(const std::string& text) {
  std::vector<std::string> parts;
  std::stringstream stream(text);
  std::string part;
  while (std::getline(stream, part, ',')) {
    if (!part.empty()) parts.push_back(part);
  }
  return parts;
}

int RunTool(int argc, char** argv, const std::string& usage,
            const std::function<int(int argc, char** argv)>& body) {
  const char* slash = std::strrchr(argv[0], '/');
  const std::string name = slash ? slash + 1 : argv[0];
  if (WantsHelp(argc, argv)) {
    std::cout << usage << (usage.empty() || usage.back() == '\n' ? "" : "\n");
    return 0;
  }
  gflags::SetUsageMessage(usage);
  gflags::SetVersionString("0.1.0");
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  FLAGS_logtostderr = FLAGS_log_dir.empty();
  FLAGS_alsologtostderr = !FLAGS_log_dir.empty();
  google::InitGoogleLogging(argv[0]);
  try {
    return body(argc, argv);
  } catch (const UsageError& e) {
    std::cerr << name << ": " << e.what() << "\n\n" << usage << std::endl;
  } catch (const std::exception& e) {
    std::cerr << name << ": error: " << e.what() << std::endl;
  }
  return 1;
}

}  // namespace crema
