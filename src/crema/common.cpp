#include "crema/common.hpp"

#include <chrono>

namespace crema {
namespace {

Mode g_mode = Mode::CPU;

RandomEngine& MainEngine() {
  static RandomEngine engine(static_cast<uint32_t>(
      std::chrono::steady_clock::now().time_since_epoch().count()));
  return engine;
}

}  // namespace

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) out += (i ? ", " : "") + names[i];
  return out;
}

std::string ShapeString(const std::vector<int>& shape) {
  std::ostringstream os;
  // Shapes come from files too: the count is shown only while it fits.
  int64_t count = 1;
  bool fits = true;
  for (size_t i = 0; i < shape.size(); ++i) {
    os << (i ? " x " : "") << shape[i];
    fits = fits && !__builtin_mul_overflow(count, static_cast<int64_t>(shape[i]), &count);
  }
  if (shape.empty()) os << "scalar";
  if (fits) {
    os << " (" << count << ")";
  } else {
    os << " (too many values to count)";
  }
  return os.str();
}

Mode Crema::mode() { return g_mode; }
void Crema::set_mode(Mode mode) { g_mode = mode; }

void Crema::set_random_seed(uint64_t seed) {
  MainEngine().seed(static_cast<uint32_t>(seed));
}

RandomEngine& Crema::rng() { return MainEngine(); }

std::string Crema::rng_state() {
  std::ostringstream os;
  os << MainEngine();
  return os.str();
}

void Crema::set_rng_state(const std::string& state) {
  std::istringstream is(state);
  RandomEngine restored;
  is >> restored;
  if (is.fail()) Throw("The saved random-engine state is corrupt.");
  MainEngine() = restored;
}

}  // namespace crema
