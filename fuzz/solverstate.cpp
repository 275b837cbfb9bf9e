// libFuzzer target: a .solverstate restored into a solver.
#include "fuzz_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return RunFuzzInput(crema::fuzz::SolverStateFile, data, size);
}
