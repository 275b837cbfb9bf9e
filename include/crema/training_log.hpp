// Reads crema's (and Caffe's) training log lines — "Iteration N, loss = X",
// "Iteration N, lr = X", "Train net output #k: name = V", "Test net output
// #k: name = V", "Speed: ... images/s; about ... left" — into tables of
// train and test rows. One parser serves the live monitor (fed line by line
// from a glog sink), tools/parse_log (which writes the CSV files Caffe's
// tools/extra/parse_log.py writes) and tools/plot_training_log.
#ifndef CREMA_TRAINING_LOG_HPP_
#define CREMA_TRAINING_LOG_HPP_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace crema {

// One row of Caffe's parse_log tables: the outputs logged at one iteration.
struct TrainingLogRow {
  double iteration = 0;
  double seconds = 0;        // since the "Solving" line
  double learning_rate = 0;  // NaN before the first "lr =" line
  std::vector<std::pair<std::string, double>> outputs;  // in log order
  // The value of output `name`; NaN when the row has none.
  double Output(const std::string& name) const;
};

// What the last lines said about the run in progress.
struct TrainingStatus {
  int64_t iteration = -1;
  int64_t max_iteration = -1;  // from the Speed line's "left for N iterations"
  double loss = 0;             // the last "Iteration N, loss = X"
  double learning_rate = 0;
  double iterations_per_second = 0;
  double images_per_second = 0;
  std::string eta;  // "3 min 20 s", as the log says it
  double seconds = 0;
};

// The clock and message of one glog line
// ("I0210 13:39:22.381027  1234 solver.cpp:345] Iteration 100, loss = 0.3").
struct GlogLine {
  bool has_prefix = false;
  // Microseconds since the start of the year of a 365-day calendar (the
  // prefix has no year, as in Caffe's extract_seconds.py).
  int64_t micros = 0;
  std::string message;  // the text after "] " (the whole line without prefix)
};
GlogLine SplitGlogLine(const std::string& line);

class TrainingLogParser {
 public:
  TrainingLogParser();
  // A line's message (without glog prefix) and its time in seconds since
  // the run started. Lines before the first "Iteration N" are ignored, as
  // Caffe's parse_log.py ignores them.
  void AddMessage(const std::string& message, double seconds);
  // A whole line of a log file: seconds count from its first "Solving" line,
  // and lines before that are skipped (Caffe's parse_log.py does the same).
  void AddFileLine(const std::string& line);
  // Reads a log file; throws crema::Error when it cannot be opened.
  void AddFile(const std::string& path);

  // The tables, with the first row's NaN learning rate fixed up from the
  // second row's as parse_log.py does.
  std::vector<TrainingLogRow> train_rows() const { return Fixed(train_); }
  std::vector<TrainingLogRow> test_rows() const { return Fixed(test_); }
  const TrainingStatus& status() const { return status_; }

 private:
  static std::vector<TrainingLogRow> Fixed(std::vector<TrainingLogRow> rows);
  void AddOutput(std::vector<TrainingLogRow>* rows, const std::string& name,
                 double value, double seconds);
  void ParseSpeed(const std::string& message);

  double iteration_ = -1;
  double learning_rate_;  // NaN until the first "lr =" line
  bool solving_ = false;
  int64_t start_micros_ = 0;
  std::vector<TrainingLogRow> train_;
  std::vector<TrainingLogRow> test_;
  TrainingStatus status_;
};

// Caffe's parse_log.py CSV: a header "NumIters,Seconds,LearningRate,<output
// names of the first row>" and one line per row, numbers written as Python
// writes floats ("100.0", "0.01", "1e-05"). Empty when there are no rows.
std::string TrainingLogCsv(const std::vector<TrainingLogRow>& rows, char delimiter = ',');
// A float as Python's repr() writes it.
std::string PythonFloat(double value);

}  // namespace crema

#endif  // CREMA_TRAINING_LOG_HPP_
