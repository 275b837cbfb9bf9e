// Runs a built tool binary with its output captured in a log file.
#ifndef CREMA_TESTS_COMPAT_TOOL_RUNNER_HPP_
#define CREMA_TESTS_COMPAT_TOOL_RUNNER_HPP_

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <string>
#include <vector>

extern char** environ;

namespace crema {
namespace testing {

inline std::string ToolPath(const std::string& name) {
  return std::string(CREMA_BINARY_DIR) + "/tools/" + name;
}

// Runs tools/<name> args... with stdout and stderr appended to log; returns
// the exit status, or -1 when it could not start or did not exit normally.
inline int RunToolBinary(const std::string& name, const std::vector<std::string>& args,
                         const std::string& log) {
  std::vector<std::string> all{ToolPath(name)};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& arg : all) argv.push_back(arg.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                   0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, all[0].c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return -1;
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace testing
}  // namespace crema

#endif  // CREMA_TESTS_COMPAT_TOOL_RUNNER_HPP_
