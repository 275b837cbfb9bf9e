// Scoring a net: run it forward a number of times and average every scalar
// of every output blob, as Caffe's `test` command and its solver's test
// passes do.
#ifndef CREMA_NET_SCORE_HPP_
#define CREMA_NET_SCORE_HPP_

#include <functional>
#include <string>
#include <vector>

#include "crema/net.hpp"

namespace crema {

struct NetScores {
  // One entry per scalar of every output blob, in output order.
  std::vector<std::string> names;
  std::vector<float> loss_weights;
  std::vector<float> means;
  // The mean of Forward's loss over the batches.
  float mean_loss = 0;
  // Batches actually run (fewer than asked when should_stop said so).
  int batches = 0;
};

struct ScoreOptions {
  // Log "Batch N, name = X" for every scalar of every batch (Caffe's `test`).
  bool log_batches = false;
  // Asked before each batch; returning true ends scoring early.
  std::function<bool()> should_stop;
  // Told before each batch how many of `total` are done (progress bars).
  std::function<void(int done, int total)> progress;
};

NetScores ScoreNet(Net* net, int iterations, const ScoreOptions& options = {});

// "name = mean" plus " (* w = w*mean loss)" for a loss output: Caffe's form.
std::string FormatScore(const std::string& name, float mean, float loss_weight);

}  // namespace crema

#endif  // CREMA_NET_SCORE_HPP_
