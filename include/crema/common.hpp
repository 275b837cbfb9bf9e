// Things every part of crema uses: the error type, the compute mode and the
// process-wide random engine.
#ifndef CREMA_COMMON_HPP_
#define CREMA_COMMON_HPP_

#include <glog/logging.h>

#include <climits>
#include <cstdint>
#include <memory>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace crema {

// Everything crema reports to a user is a crema::Error whose message says
// what is wrong and what to fix. The library never exits the process.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

// Concatenates its arguments with operator<<.
template <typename... Args>
std::string StrCat(const Args&... args) {
  std::ostringstream os;
  (os << ... << args);
  return os.str();
}

// Throws crema::Error with the concatenated arguments as its message.
template <typename... Args>
[[noreturn]] void Throw(const Args&... args) {
  throw Error(StrCat(args...));
}

// "2 x 3 x 4 (24)"-style rendering of a shape.
std::string ShapeString(const std::vector<int>& shape);
// "a, b, c": names for messages.
std::string JoinNames(const std::vector<std::string>& names);

// Where layers run. Only the host exists today; a device engine adds its
// value here together with the code that honours it (the registry's choice of
// engine and the memory's device side), so no value names a mode nothing
// implements.
enum class Mode { CPU };

// The random engine. One per process (per thread that asks for it: data
// prefetch threads get their own, seeded from the main one).
using RandomEngine = std::mt19937;

class Crema {
 public:
  static Mode mode();
  static void set_mode(Mode mode);
  // Seeds the main random engine; every random draw in crema comes from it.
  static void set_random_seed(uint64_t seed);
  static RandomEngine& rng();
  // The engine's state as text and back (for resumable solver state).
  static std::string rng_state();
  static void set_rng_state(const std::string& state);
};

}  // namespace crema

#endif  // CREMA_COMMON_HPP_
