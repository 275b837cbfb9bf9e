// libFuzzer target: a .caffemodel (binary NetParameter) loaded into a net.
#include "fuzz_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return RunFuzzInput(crema::fuzz::Caffemodel, data, size);
}
