// libFuzzer target: a net .prototxt (text NetParameter).
#include "fuzz_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return RunFuzzInput(crema::fuzz::NetPrototxt, data, size);
}
