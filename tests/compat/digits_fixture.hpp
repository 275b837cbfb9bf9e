// A shared end-to-end fixture: generated digits 0-4 and 5-9 converted into
// LMDBs with the tools, and a small LeNet pretrained on 0-4 with
// tools/train. Built once per test process.
#ifndef CREMA_TESTS_COMPAT_DIGITS_FIXTURE_HPP_
#define CREMA_TESTS_COMPAT_DIGITS_FIXTURE_HPP_

#include <string>

namespace crema {
namespace testing {

struct DigitsFixture {
  std::string dir;          // everything lives here
  std::string images;       // dir/digits/{train,test}/<digit>/*.png
  std::string log;          // the tools' output
  std::string pre_weights;  // LeNet trained on 0-4 (labels 0..4 = digits 0..4)
  std::string deploy;       // its deploy net (Input 1 x 1 x 28 x 28, Softmax "prob")
  std::string pre_labels;   // labels.txt of the 0-4 training set
  std::string error;        // non-empty when setting up failed
};

// The train_val prototxt of the small LeNet: Data layers on train_lmdb /
// test_lmdb, the classifier named `classifier` with `classes` outputs and
// learning-rate multipliers lr_mult (weights) and 2 * lr_mult (bias).
std::string SmallLeNet(const std::string& train_lmdb, const std::string& test_lmdb,
                       const std::string& classifier, int classes, float lr_mult);

// A solver for `net` writing snapshots to `prefix`.
std::string SmallSolver(const std::string& net, const std::string& prefix, int max_iter,
                        float base_lr);

// Generates, converts and pretrains on first use; later calls return the
// same fixture. Check `error` (the tools may not be built).
const DigitsFixture& GetDigitsFixture();

// Mean accuracy and loss of `train_val` (TEST phase) with `weights` over
// `batches` test batches.
void ScoreTrainVal(const std::string& train_val, const std::string& weights, int batches,
                   float* accuracy, float* loss);

}  // namespace testing
}  // namespace crema

#endif  // CREMA_TESTS_COMPAT_DIGITS_FIXTURE_HPP_
