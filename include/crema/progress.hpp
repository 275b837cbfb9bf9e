// A progress bar with rate and ETA on stderr for long jobs
// ("convert_imageset [#########.........]  45%  4500/10000  1234/s  ETA 0:05"),
// redrawn at most 10 times a second. Quiet when stderr is not a terminal, so
// logs and pipes stay clean.
#ifndef CREMA_PROGRESS_HPP_
#define CREMA_PROGRESS_HPP_

#include <chrono>
#include <cstdint>
#include <string>

namespace crema {

class ProgressBar {
 public:
  // total <= 0: the total is unknown (count and rate only).
  ProgressBar(const std::string& label, int64_t total);
  // Draws the final state and ends the line (if anything was drawn).
  ~ProgressBar();
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  // `done` items of total are finished.
  void Update(int64_t done);
  void set_total(int64_t total) { total_ = total; }
  void Finish();

  // The line as drawn for `done` items after `seconds` (tests read it).
  std::string Line(int64_t done, double seconds) const;
  // Whether this bar draws (stderr is a terminal, or forced on for tests).
  bool enabled() const { return enabled_; }
  void set_enabled(bool enabled) { enabled_ = enabled; }

 private:
  std::string label_;
  int64_t total_;
  int64_t done_ = 0;
  bool enabled_;
  bool drawn_ = false;
  bool finished_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace crema

#endif  // CREMA_PROGRESS_HPP_
