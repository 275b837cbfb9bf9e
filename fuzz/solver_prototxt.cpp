// libFuzzer target: a solver .prototxt (text SolverParameter).
#include "fuzz_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return RunFuzzInput(crema::fuzz::SolverPrototxt, data, size);
}
