#include "crema/signal_handler.hpp"

#include <signal.h>

#include <atomic>
#include <csignal>

namespace crema {
namespace {

// Lock-free atomics: safe in a signal handler and across threads.
std::atomic<int> g_got_sigint{0};  // SIGINT or SIGTERM
std::atomic<int> g_got_sighup{0};
std::atomic<bool> g_installed{false};
struct sigaction g_old_int, g_old_term, g_old_hup;

void HandleSignal(int signal) { RequestSignalEffect(signal); }

}  // namespace

void RequestSignalEffect(int signal) {
  if (signal == SIGHUP) {
    g_got_sighup = 1;
  } else {
    g_got_sigint = 1;
  }
}

namespace {

void Install(int signal, struct sigaction* old) {
  struct sigaction action = {};
  action.sa_handler = &HandleSignal;
  action.sa_flags = SA_RESTART;  // let interrupted reads and writes go on
  sigemptyset(&action.sa_mask);
  if (sigaction(signal, &action, old) != 0) {
    Throw("Cannot install a handler for signal ", signal, ".");
  }
}

}  // namespace

SignalHandler::SignalHandler(SolverAction sigint_effect, SolverAction sighup_effect)
    : sigint_effect_(sigint_effect), sighup_effect_(sighup_effect) {
  if (g_installed.exchange(true)) {
    Throw("A SignalHandler is already active in this process.");
  }
  g_got_sigint = 0;
  g_got_sighup = 0;
  Install(SIGINT, &g_old_int);
  Install(SIGTERM, &g_old_term);
  Install(SIGHUP, &g_old_hup);
}

SignalHandler::~SignalHandler() {
  sigaction(SIGINT, &g_old_int, nullptr);
  sigaction(SIGTERM, &g_old_term, nullptr);
  sigaction(SIGHUP, &g_old_hup, nullptr);
  g_installed = false;
}

SolverAction SignalHandler::CheckForSignals() const {
  if (g_got_sigint) {
    g_got_sigint = 0;
    if (sigint_effect_ != SolverAction::NONE) {
      LOG(INFO) << "Signal received (SIGINT/SIGTERM): "
                << (sigint_effect_ == SolverAction::STOP ? "snapshotting, then stopping."
                                                       : "snapshotting.");
    }
    return sigint_effect_;
  }
  if (g_got_sighup) {
    g_got_sighup = 0;
    if (sighup_effect_ != SolverAction::NONE) {
      LOG(INFO) << "Signal received (SIGHUP): "
                << (sighup_effect_ == SolverAction::STOP ? "snapshotting, then stopping."
                                                       : "snapshotting.");
    }
    return sighup_effect_;
  }
  return SolverAction::NONE;
}

}  // namespace crema
