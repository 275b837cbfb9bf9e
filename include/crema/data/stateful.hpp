// Resumable state for the parts of a net that decide what the next
// iteration sees (data readers and their random engines). The solver finds
// them with dynamic_cast<Stateful*>(layer) and stores SaveState() in the
// solverstate; RestoreState() on a fresh net repositions it exactly.
#ifndef CREMA_DATA_STATEFUL_HPP_
#define CREMA_DATA_STATEFUL_HPP_

#include <string>

namespace crema {

class Stateful {
 public:
  virtual ~Stateful() = default;
  // An opaque string; only RestoreState of the same kind of object reads it.
  virtual std::string SaveState() const = 0;
  // Throws crema::Error when the state is corrupt or does not fit (for
  // example a database that no longer holds the saved record).
  virtual void RestoreState(const std::string& state) = 0;
};

}  // namespace crema

#endif  // CREMA_DATA_STATEFUL_HPP_
