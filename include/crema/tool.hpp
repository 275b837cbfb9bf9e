// Shared scaffolding for crema's command-line tools: flag parsing, logging
// set-up, and turning a crema::Error into one line on stderr and exit status 1.
#ifndef CREMA_TOOL_HPP_
#define CREMA_TOOL_HPP_

#include <functional>
#include <string>

namespace crema {

// Parses gflags (removing them from argv), sets glog to log to stderr, runs
// body with the remaining arguments and returns its status. A crema::Error
// (or any std::exception) thrown by body prints "name: error: ..." and
// returns 1.
int RunTool(int argc, char** argv, const std::string& usage,
            const std::function<int(int argc, char** argv)>& body);

}  // namespace crema

#endif  // CREMA_TOOL_HPP_
