// The log parser against the tables Caffe's tools/extra/parse_log.py writes
// for the same log (the expected files below were written by running it).
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "crema/training_log.hpp"

namespace crema {
namespace {

const char kSampleLog[] = CREMA_SOURCE_DIR "/tests/pictures/lenet_sample.log";

// parse_log.py's lenet_sample.log.train and .test, byte for byte.
const char kExpectedTrain[] =
    "NumIters,Seconds,LearningRate,loss\r\n"
    "0.0,0.600001,0.01,2.31\r\n"
    "50.0,1.600001,0.01,0.5\r\n"
    "100.0,2.300001,0.00996266,0.25\r\n";
const char kExpectedTest[] =
    "NumIters,Seconds,LearningRate,accuracy,loss\r\n"
    "0.0,0.5,0.00996266,0.1,2.30259\r\n"
    "100.0,2.25,0.00996266,0.9,0.3\r\n";

TEST(TrainingLogTest, CsvMatchesCaffeParseLog) {
  TrainingLogParser parser;
  parser.AddFile(kSampleLog);
  EXPECT_EQ(TrainingLogCsv(parser.train_rows()), kExpectedTrain);
  EXPECT_EQ(TrainingLogCsv(parser.test_rows()), kExpectedTest);
}

TEST(TrainingLogTest, StatusFollowsTheLastLines) {
  TrainingLogParser parser;
  parser.AddFile(kSampleLog);
  const TrainingStatus& status = parser.status();
  EXPECT_EQ(status.iteration, 100);
  EXPECT_DOUBLE_EQ(status.loss, 0.25);
  EXPECT_DOUBLE_EQ(status.learning_rate, 0.00996266);
  EXPECT_DOUBLE_EQ(status.images_per_second, 640);
  EXPECT_EQ(status.eta, "10s");
  EXPECT_EQ(status.max_iteration, 100);  // the Speed line at iteration 0: 100 left
}

TEST(TrainingLogTest, LinesBeforeSolvingAndFirstIterationAreIgnored) {
  TrainingLogParser parser;
  parser.AddFileLine("I0105 10:00:00.000000  1 x.cpp:1]     Test net output #0: accuracy = 5");
  parser.AddFileLine("I0105 10:00:00.000000  1 x.cpp:1] Solving LeNet");
  parser.AddFileLine("I0105 10:00:00.000000  1 x.cpp:1]     Test net output #0: accuracy = 6");
  EXPECT_TRUE(parser.test_rows().empty());
  parser.AddFileLine("I0105 10:00:01.000000  1 x.cpp:1] Iteration 7, Testing net (#0)");
  parser.AddFileLine("I0105 10:00:02.000000  1 x.cpp:1]     Test net output #0: accuracy = 0.5");
  ASSERT_EQ(parser.test_rows().size(), 1u);
  EXPECT_EQ(parser.test_rows()[0].iteration, 7);
  EXPECT_DOUBLE_EQ(parser.test_rows()[0].seconds, 2);
  EXPECT_DOUBLE_EQ(parser.test_rows()[0].Output("accuracy"), 0.5);
  EXPECT_TRUE(std::isnan(parser.test_rows()[0].learning_rate));
}

TEST(TrainingLogTest, MessagesWithoutPrefixFeedTheMonitor) {
  TrainingLogParser parser;
  parser.AddMessage("Iteration 10, loss = 1.5", 3.0);
  parser.AddMessage("    Train net output #0: loss = 1.5 (* 1 = 1.5 loss)", 3.0);
  parser.AddMessage("Iteration 10, lr = 0.001", 3.1);
  parser.AddMessage("Iteration 20, loss = 1.0", 4.0);
  parser.AddMessage("    Train net output #0: loss = 1.0 (* 1 = 1.0 loss)", 4.0);
  const auto rows = parser.train_rows();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1].iteration, 20);
  EXPECT_DOUBLE_EQ(rows[1].Output("loss"), 1.0);
  EXPECT_DOUBLE_EQ(rows[1].learning_rate, 0.001);
  EXPECT_DOUBLE_EQ(rows[0].learning_rate, 0.001);  // fixed up from the second row
}

TEST(TrainingLogTest, GlogPrefixIsSplit) {
  const GlogLine line = SplitGlogLine("W0210 13:39:22.381027  1234 solver.cpp:345] hello");
  EXPECT_TRUE(line.has_prefix);
  EXPECT_EQ(line.message, "hello");
  const int64_t day = 31 + 9;  // February 10th
  EXPECT_EQ(line.micros, ((day * 24 + 13) * 60 + 39) * 60 * 1000000LL + 22 * 1000000LL + 381027);
  EXPECT_FALSE(SplitGlogLine("Iteration 5, loss = 1").has_prefix);
}

TEST(TrainingLogTest, FloatsAreWrittenAsPythonWritesThem) {
  EXPECT_EQ(PythonFloat(100), "100.0");
  EXPECT_EQ(PythonFloat(0.01), "0.01");
  EXPECT_EQ(PythonFloat(1e-05), "1e-05");
  EXPECT_EQ(PythonFloat(0.0001), "0.0001");
  EXPECT_EQ(PythonFloat(2.5e16), "2.5e+16");
  EXPECT_EQ(PythonFloat(123456789012345.0), "123456789012345.0");
  EXPECT_EQ(PythonFloat(-0.5), "-0.5");
  EXPECT_EQ(PythonFloat(std::nan("")), "nan");
}

TEST(TrainingLogTest, MissingFileIsASentence) {
  TrainingLogParser parser;
  try {
    parser.AddFile("/nonexistent/train.log");
    FAIL() << "no error";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/train.log"), std::string::npos);
  }
}

}  // namespace
}  // namespace crema
