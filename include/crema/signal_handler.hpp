// Turns SIGINT / SIGTERM and SIGHUP into solver actions. While a
// SignalHandler lives, those signals only set a flag; the training loop asks
// CheckForSignals() (through Solver::SetActionFunction) between iterations
// and test batches, so a stop or snapshot happens at a clean point.
// One handler at a time per process; the destructor puts back the previous
// signal dispositions.
#ifndef CREMA_SIGNAL_HANDLER_HPP_
#define CREMA_SIGNAL_HANDLER_HPP_

#include <functional>

#include "crema/solver.hpp"

namespace crema {

class SignalHandler {
 public:
  // sigint_effect applies to SIGINT and SIGTERM; sighup_effect to SIGHUP.
  SignalHandler(SolverAction sigint_effect, SolverAction sighup_effect);
  ~SignalHandler();
  SignalHandler(const SignalHandler&) = delete;
  SignalHandler& operator=(const SignalHandler&) = delete;

  // The action for the signals received since the last call (SIGINT/SIGTERM
  // first), clearing them; NONE when none arrived.
  SolverAction CheckForSignals() const;
  std::function<SolverAction()> GetActionFunction() const {
    return [this]() { return CheckForSignals(); };
  }

 private:
  SolverAction sigint_effect_;
  SolverAction sighup_effect_;
};

// Acts as if `signal` (SIGINT, SIGTERM or SIGHUP) had arrived: the active
// SignalHandler's next CheckForSignals() returns that signal's effect. For
// controls other than signals (the training monitor's buttons); safe to call
// from any thread. Does nothing visible while no SignalHandler is active.
void RequestSignalEffect(int signal);

}  // namespace crema

#endif  // CREMA_SIGNAL_HANDLER_HPP_
