// Tiny layers used only by the solver tests, registered under test-only
// type names so the solver suites do not depend on the real layer library:
//   TestConstData   tops x (N x K) and y (N x M) from a fixed dataset of
//                   kRecords records, read in order and wrapping around
//                   (stateful: its cursor).
//   TestNoisyData   the same, plus noise from its own random engine and from
//                   Crema::rng() (stateful: cursor + engine), like a reader
//                   with random crops.
//   TestLinear      p = x W^T + b (inner_product_param: num_output, fillers).
//   TestEuclideanLoss  sum((p - y)^2) / (2N), as Caffe's EuclideanLoss.
#ifndef CREMA_TESTS_SOLVER_SOLVER_TEST_LAYERS_HPP_
#define CREMA_TESTS_SOLVER_SOLVER_TEST_LAYERS_HPP_

#include <string>

namespace crema {
namespace testing {

constexpr int kRecords = 8;
// Feature k of record r, and label m of record r.
double RecordFeature(int record, int k);
double RecordLabel(int record, int m);

// A net: data (batch x k) -> TestLinear (m outputs) -> TestEuclideanLoss.
// data_type is "TestConstData" or "TestNoisyData"; extra_ip goes into the
// TestLinear layer's text (param specs).
std::string TinyNetText(int batch, int k, int m, const std::string& data_type = "TestConstData",
                        const std::string& extra_ip = "");

}  // namespace testing
}  // namespace crema

#endif  // CREMA_TESTS_SOLVER_SOLVER_TEST_LAYERS_HPP_
