// Small helpers shared by the test suites.
#ifndef CREMA_TESTS_SUPPORT_TEST_UTIL_HPP_
#define CREMA_TESTS_SUPPORT_TEST_UTIL_HPP_

#include <string>
#include <vector>

#include "crema/blob.hpp"
#include "crema/proto/crema.pb.h"
#include "crema/io/proto_io.hpp"
#include "crema/math/math_functions.hpp"

namespace crema {
namespace testing {

inline void FillGaussian(Blob* blob, float std = 1.f, float mean = 0.f) {
  rng_gaussian(blob->count(), mean, std, blob->mutable_cpu_data());
}

inline void FillUniform(Blob* blob, float min, float max) {
  rng_uniform(blob->count(), min, max, blob->mutable_cpu_data());
}

// Parses a message from prototxt text (test fixtures written inline).
template <typename Message>
Message ParseText(const std::string& text) {
  Message message;
  ReadProtoFromTextString(text, &message, "<test>");
  return message;
}

// The engines a layer test runs with: "" (the registry's default choice)
// and "CAFFE", the reference engine, which the default hides whenever a
// faster engine is built.
std::vector<std::string> EnginesUnderTest();

// param with the engine field of its type's parameter message set to
// `engine` (a name such as "CAFFE"); "" returns param unchanged.
LayerParameter WithEngine(LayerParameter param, const std::string& engine);

// Path of a file under ../shared next to the source tree, or "" when absent.
std::string SharedPath(const std::string& relative);

}  // namespace testing
}  // namespace crema

#endif  // CREMA_TESTS_SUPPORT_TEST_UTIL_HPP_
