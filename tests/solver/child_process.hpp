// Running a tool binary as a child process from a test: its output goes to a
// log file, and it can be started with a file size limit (a full disk, as
// far as its writes can tell) or killed at any moment.
#ifndef CREMA_TESTS_SOLVER_CHILD_PROCESS_HPP_
#define CREMA_TESTS_SOLVER_CHILD_PROCESS_HPP_

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace crema {
namespace testing {

struct ChildOptions {
  // When positive: RLIMIT_FSIZE for the child, with SIGXFSZ ignored, so a
  // write past it fails with EFBIG ("File too large") as on a full disk.
  long file_size_limit = 0;
};

// Starts `binary args...` with stdout and stderr going to `log`; returns the
// pid, or -1.
inline pid_t SpawnChild(const std::string& binary, const std::vector<std::string>& args,
                        const std::string& log, const ChildOptions& options = {}) {
  std::vector<std::string> all{binary};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& arg : all) argv.push_back(arg.data());
  argv.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid != 0) return pid;
  // The child: only async-signal-safe calls until exec.
  const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) ::_exit(127);
  ::dup2(fd, 1);
  ::dup2(fd, 2);
  if (options.file_size_limit > 0) {
    struct rlimit limit;
    limit.rlim_cur = limit.rlim_max = static_cast<rlim_t>(options.file_size_limit);
    ::signal(SIGXFSZ, SIG_IGN);
    if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) ::_exit(127);
  }
  ::execv(binary.c_str(), argv.data());
  ::_exit(127);
}

// Waits up to `seconds` for pid; returns its exit code, or -1 when it was
// killed by a signal or ran out of time (then it is killed).
inline int WaitChild(pid_t pid, double seconds = 60) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  int status = 0;
  while (::waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

inline int RunChild(const std::string& binary, const std::vector<std::string>& args,
                    const std::string& log, const ChildOptions& options = {}) {
  const pid_t pid = SpawnChild(binary, args, log, options);
  return pid < 0 ? -1 : WaitChild(pid);
}

}  // namespace testing
}  // namespace crema

#endif  // CREMA_TESTS_SOLVER_CHILD_PROCESS_HPP_
