// libFuzzer target: image bytes in an encoded Datum, decoded.
#include "fuzz_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return RunFuzzInput(crema::fuzz::EncodedImage, data, size);
}
