// Shared scaffolding for crema's command-line tools: flag parsing, logging
// set-up, --help, and turning a crema::Error into one line on stderr and
// exit status 1.
#ifndef CREMA_TOOL_HPP_
#define CREMA_TOOL_HPP_

#include <functional>
#include <string>
#include <vector>

#include "crema/common.hpp"

namespace crema {

// Thrown by a tool's body when its command line is wrong: RunTool prints the
// message followed by the usage text.
class UsageError : public Error {
 public:
  explicit UsageError(const std::string& what) : Error(what) {}
};

// `--help` (or -h) prints usage and returns 0. Otherwise parses gflags
// (removing them from argv), sends glog to stderr (and to --log_dir files
// when given), runs body with the remaining arguments and returns its status.
// A crema::Error thrown by body prints "name: error: ..." and returns 1.
int RunTool(int argc, char** argv, const std::string& usage,
            const std::function<int(int argc, char** argv)>& body);

// Throws UsageError unless the tool got between min and max positional
// arguments (argv[0] excluded).
void ExpectArgs(int argc, int min, int max);

// The non-empty items of a comma-separated flag value ("a,,b" -> a, b).
std::vector<std::string> SplitCommas(const std::string& text);

}  // namespace crema

#endif  // CREMA_TOOL_HPP_
