// libFuzzer target: a V0/V1 net .prototxt through each upgrade step.
#include "fuzz_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return RunFuzzInput(crema::fuzz::UpgradeNet, data, size);
}
