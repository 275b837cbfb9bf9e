// parse_log: turns a training log into the two CSV files Caffe's
// tools/extra/parse_log.py writes (LOG.train and LOG.test).
#include <fstream>
#include <iostream>
#include <string>

#include <gflags/gflags.h>

#include "crema/tool.hpp"
#include "crema/training_log.hpp"

DEFINE_string(delimiter, ",", "The column separator (one character).");

namespace {

const char kUsage[] =
    "parse_log: writes the train and test tables of a training log as CSV.\n"
    "\n"
    "Usage:\n"
    "  parse_log [--delimiter=,] LOG [OUTPUT_DIR]\n"
    "\n"
    "Writes OUTPUT_DIR/<LOG name>.train and .test (OUTPUT_DIR defaults to the\n"
    "current directory) with the columns of Caffe's parse_log.py:\n"
    "  NumIters,Seconds,LearningRate,<train or test output names...>\n"
    "Seconds count from the log's 'Solving' line.\n";

void WriteTable(const std::string& path, const std::string& csv) {
  if (csv.empty()) {
    std::cout << "Not writing " << path << "; no lines to write\n";
    return;
  }
  std::ofstream out(path, std::ios::binary);
  out << csv;
  if (!out.flush()) crema::Throw("Cannot write '", path, "'.");
  std::cout << "Wrote " << path << "\n";
}

int ParseLog(int argc, char** argv) {
  crema::ExpectArgs(argc, 1, 2);
  if (FLAGS_delimiter.size() != 1) {
    throw crema::UsageError("--delimiter must be one character.");
  }
  const std::string log = argv[1];
  const std::string dir = argc > 2 ? argv[2] : ".";
  crema::TrainingLogParser parser;
  parser.AddFile(log);
  const std::string name = log.substr(log.find_last_of('/') + 1);
  const char delimiter = FLAGS_delimiter[0];
  WriteTable(dir + "/" + name + ".train", crema::TrainingLogCsv(parser.train_rows(), delimiter));
  WriteTable(dir + "/" + name + ".test", crema::TrainingLogCsv(parser.test_rows(), delimiter));
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return crema::RunTool(argc, argv, kUsage, ParseLog); }
