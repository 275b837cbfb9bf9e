// libFuzzer target: an .h5 file read by the HDF5Data layer.
#include "fuzz_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return RunFuzzInput(crema::fuzz::Hdf5File, data, size);
}
