#include "crema/progress.hpp"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <string>

namespace crema {
namespace {

std::string Clock(double seconds) {
  const long total = std::lround(seconds);
  char text[32];
  if (total >= 3600) {
    std::snprintf(text, sizeof(text), "%ld:%02ld:%02ld", total / 3600, total / 60 % 60,
                  total % 60);
  } else {
    std::snprintf(text, sizeof(text), "%ld:%02ld", total / 60, total % 60);
  }
  return text;
}

}  // namespace

ProgressBar::ProgressBar(const std::string& label, int64_t total)
    : label_(label),
      total_(total),
      enabled_(isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

ProgressBar::~ProgressBar() { Finish(); }

std::string ProgressBar::Line(int64_t done, double seconds) const {
  const double rate = seconds > 0 ? done / seconds : 0;
  char text[160];
  if (total_ > 0) {
    const double fraction = std::min(1.0, static_cast<double>(done) / total_);
    const int width = 24, filled = static_cast<int>(fraction * width);
    const std::string bar = std::string(filled, '#') + std::string(width - filled, '.');
    const std::string eta = rate > 0 ? Clock((total_ - done) / rate) : "?";
    std::snprintf(text, sizeof(text), "%s [%s] %3d%%  %lld/%lld  %.0f/s  %s %s",
                  label_.c_str(), bar.c_str(), static_cast<int>(fraction * 100),
                  static_cast<long long>(done), static_cast<long long>(total_), rate,
                  done >= total_ ? "in" : "ETA",
                  done >= total_ ? Clock(seconds).c_str() : eta.c_str());
  } else {
    std::snprintf(text, sizeof(text), "%s  %lld  %.0f/s  %s", label_.c_str(),
                  static_cast<long long>(done), rate, Clock(seconds).c_str());
  }
  return text;
}

void ProgressBar::Update(int64_t done) {
  done_ = done;
  if (!enabled_ || finished_) return;
  const auto now = std::chrono::steady_clock::now();
  if (drawn_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  drawn_ = true;
  const double seconds = std::chrono::duration<double>(now - start_).count();
  // "\r" and clear-to-end-of-line: redraw in place.
  std::fprintf(stderr, "\r%s\033[K", Line(done, seconds).c_str());
  std::fflush(stderr);
}

void ProgressBar::Finish() {
  if (finished_) return;
  if (enabled_ && drawn_) {
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    std::fprintf(stderr, "\r%s\033[K\n", Line(done_, seconds).c_str());
    std::fflush(stderr);
  }
  finished_ = true;
}

}  // namespace crema
