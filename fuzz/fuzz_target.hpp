// The little each libFuzzer target shares: quiet logging, and one input
// handed to one entry of crema/fuzz_entry.hpp. A crema::Error is the
// expected answer to bad bytes; anything else escapes and is reported.
#ifndef CREMA_FUZZ_FUZZ_TARGET_HPP_
#define CREMA_FUZZ_FUZZ_TARGET_HPP_

#include <cstddef>
#include <cstdint>
#include <string>

#include "crema/fuzz_entry.hpp"

inline int RunFuzzInput(crema::fuzz::Entry entry, const uint8_t* data, size_t size) {
  crema::fuzz::RunOne(entry, std::string(reinterpret_cast<const char*>(data), size));
  return 0;
}

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  crema::fuzz::QuietLogging();
  return 0;
}

#endif  // CREMA_FUZZ_FUZZ_TARGET_HPP_
