// libFuzzer target: an LMDB value (Datum) through the Data layer's transform.
#include "fuzz_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return RunFuzzInput(crema::fuzz::DatumValue, data, size);
}
