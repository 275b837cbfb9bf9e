// libFuzzer target: an image file given to classify.
#include "fuzz_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return RunFuzzInput(crema::fuzz::ClassifyImage, data, size);
}
