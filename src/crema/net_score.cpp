#include "crema/net_score.hpp"

#include <sstream>

namespace crema {

NetScores ScoreNet(Net* net, int iterations, const ScoreOptions& options) {
  NetScores scores;
  double loss_sum = 0;
  std::vector<double> sums;
  for (int i = 0; i < iterations; ++i) {
    if (options.should_stop && options.should_stop()) break;
    if (options.progress) options.progress(i, iterations);
    float iter_loss = 0;
    const std::vector<Blob*>& result = net->Forward(&iter_loss);
    loss_sum += iter_loss;
    size_t idx = 0;
    for (size_t j = 0; j < result.size(); ++j) {
      const int blob_index = net->output_blob_indices()[j];
      const std::string& name = net->blob_names()[blob_index];
      const float* values = result[j]->cpu_data();
      for (int k = 0; k < result[j]->count(); ++k, ++idx) {
        if (i == 0) {
          scores.names.push_back(name);
          scores.loss_weights.push_back(net->blob_loss_weights()[blob_index]);
          sums.push_back(0);
        }
        if (idx >= sums.size()) {
          Throw("The net's outputs hold more values at batch ", i, " than at batch 0 ('",
                name, "' is now ", result[j]->shape_string(),
                "); scoring needs outputs of the same size every batch.");
        }
        sums[idx] += values[k];
        if (options.log_batches) {
          LOG(INFO) << "Batch " << i << ", " << name << " = " << values[k];
        }
      }
    }
    ++scores.batches;
  }
  const double n = scores.batches > 0 ? scores.batches : 1;
  for (double sum : sums) scores.means.push_back(static_cast<float>(sum / n));
  scores.mean_loss = static_cast<float>(loss_sum / n);
  return scores;
}

std::string FormatScore(const std::string& name, float mean, float loss_weight) {
  std::ostringstream os;
  os << name << " = " << mean;
  if (loss_weight != 0.f) {
    os << " (* " << loss_weight << " = " << loss_weight * mean << " loss)";
  }
  return os.str();
}

}  // namespace crema
