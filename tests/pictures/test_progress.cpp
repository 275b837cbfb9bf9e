#include <gtest/gtest.h>

#include <unistd.h>

#include "crema/progress.hpp"

namespace crema {
namespace {

TEST(ProgressBarTest, LineShowsBarRateAndEta) {
  ProgressBar bar("convert", 1000);
  bar.set_enabled(false);  // nothing on stderr during the test
  EXPECT_EQ(bar.Line(250, 5.0),
            "convert [######..................]  25%  250/1000  50/s  ETA 0:15");
  EXPECT_EQ(bar.Line(1000, 20.0),
            "convert [########################] 100%  1000/1000  50/s  in 0:20");
  EXPECT_EQ(bar.Line(0, 0.0), "convert [........................]   0%  0/1000  0/s  ETA ?");
}

TEST(ProgressBarTest, UnknownTotalShowsCountAndRate) {
  ProgressBar bar("mean", 0);
  bar.set_enabled(false);
  EXPECT_EQ(bar.Line(7200, 3600.0), "mean  7200  2/s  1:00:00");
}

TEST(ProgressBarTest, QuietWhenStderrIsNotATerminal) {
  // ctest runs tests with stderr on a pipe or file.
  ProgressBar bar("job", 10);
  if (isatty(2)) GTEST_SKIP() << "stderr is a terminal here";
  EXPECT_FALSE(bar.enabled());
}

}  // namespace
}  // namespace crema
