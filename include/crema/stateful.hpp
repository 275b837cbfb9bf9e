// Interfaces a layer opts into by deriving from them beside Layer; the
// solver finds them with dynamic_cast.
//
// StatefulLayer: a layer whose output depends on more than its bottoms and
// weights (a data reader's position, its own random engine). The solver
// saves this state into the .solverstate at every snapshot and hands it back
// on restore, so a resumed run sees the same batches as an uninterrupted one.
//
// A layer opts in by deriving from both Layer and StatefulLayer; the solver
// finds it with dynamic_cast.
#ifndef CREMA_STATEFUL_HPP_
#define CREMA_STATEFUL_HPP_

#include <string>

namespace crema {

class StatefulLayer {
 public:
  virtual ~StatefulLayer() = default;
  // The state that decides what the next Forward produces: for a reader,
  // the next record the net would get (not how far a prefetch thread has
  // read ahead) plus the state of any random engine it uses. Opaque bytes.
  virtual std::string SaveState() const = 0;
  // Puts back a state SaveState returned (possibly in another process).
  // Throws crema::Error when the state does not fit this layer.
  virtual void RestoreState(const std::string& state) = 0;
};

// ShardableLayer: a layer that reads a dataset and can read a part of it,
// so that data-parallel ranks split an epoch between them.
class ShardableLayer {
 public:
  virtual ~ShardableLayer() = default;
  // Of every `count` consecutive batches, reads the `index`-th (from 0) and
  // skips the others: `count` readers with distinct indices read what one
  // reader with count times the batch would, without overlap.
  virtual void SetShard(int index, int count) = 0;
};

}  // namespace crema

#endif  // CREMA_STATEFUL_HPP_
