// libFuzzer target: a .binaryproto (BlobProto) read as a mean image.
#include "fuzz_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return RunFuzzInput(crema::fuzz::BinaryProto, data, size);
}
