#include "crema/training_log.hpp"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <regex>

#include "crema/common.hpp"

namespace crema {
namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();

// The patterns of Caffe's parse_log.py, so both read the same lines.
const std::regex& IterationRegex() {
  static const std::regex re("Iteration (\\d+)");
  return re;
}
const std::regex& TrainOutputRegex() {
  static const std::regex re("Train net output #(\\d+): (\\S+) = ([\\.\\deE+-]+)");
  return re;
}
const std::regex& TestOutputRegex() {
  static const std::regex re("Test net output #(\\d+): (\\S+) = ([\\.\\deE+-]+)");
  return re;
}
const std::regex& LearningRateRegex() {
  static const std::regex re("lr = ([-+]?[0-9]*\\.?[0-9]+([eE]?[-+]?[0-9]+)?)");
  return re;
}
const std::regex& LossRegex() {
  static const std::regex re("Iteration (\\d+), loss = ([-+0-9.eEnaif]+)");
  return re;
}
const std::regex& SpeedRegex() {
  static const std::regex re(
      "Speed: ([-+0-9.eE]+) iter/s(, ([-+0-9.eE]+) images/s)?; about (.*) left for "
      "(\\d+) iterations");
  return re;
}

double ToDouble(const std::string& text) { return std::strtod(text.c_str(), nullptr); }

// Days before each month in a 365-day year.
const int kDaysBeforeMonth[12] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};

bool Digits(const std::string& s, size_t pos, size_t count) {
  if (pos + count > s.size()) return false;
  for (size_t i = pos; i < pos + count; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  return true;
}

int Number(const std::string& s, size_t pos, size_t count) {
  return std::atoi(s.substr(pos, count).c_str());
}

}  // namespace

double TrainingLogRow::Output(const std::string& name) const {
  for (const auto& output : outputs) {
    if (output.first == name) return output.second;
  }
  return kNaN;
}

GlogLine SplitGlogLine(const std::string& line) {
  GlogLine out;
  out.message = line;
  // "Lmmdd hh:mm:ss.uuuuuu threadid file:line] msg"
  if (line.size() < 22 || std::string("IWEF").find(line[0]) == std::string::npos ||
      !Digits(line, 1, 4) || line[5] != ' ' || !Digits(line, 6, 2) || line[8] != ':' ||
      !Digits(line, 9, 2) || line[11] != ':' || !Digits(line, 12, 2) || line[14] != '.' ||
      !Digits(line, 15, 6)) {
    return out;
  }
  const size_t bracket = line.find("] ");
  if (bracket == std::string::npos) return out;
  const int month = Number(line, 1, 2), day = Number(line, 3, 2);
  if (month < 1 || month > 12) return out;
  const int64_t days = kDaysBeforeMonth[month - 1] + day - 1;
  const int64_t seconds =
      ((days * 24 + Number(line, 6, 2)) * 60 + Number(line, 9, 2)) * 60 + Number(line, 12, 2);
  out.has_prefix = true;
  out.micros = seconds * 1000000 + Number(line, 15, 6);
  out.message = line.substr(bracket + 2);
  return out;
}

TrainingLogParser::TrainingLogParser() : learning_rate_(kNaN) {}

void TrainingLogParser::AddOutput(std::vector<TrainingLogRow>* rows, const std::string& name,
                                  double value, double seconds) {
  if (rows->empty() || rows->back().iteration != iteration_) {
    TrainingLogRow row;
    row.iteration = iteration_;
    row.seconds = seconds;
    row.learning_rate = learning_rate_;
    rows->push_back(row);
  }
  for (auto& output : rows->back().outputs) {
    if (output.first == name) {
      output.second = value;
      return;
    }
  }
  rows->back().outputs.emplace_back(name, value);
}

void TrainingLogParser::ParseSpeed(const std::string& message) {
  std::smatch m;
  if (!std::regex_search(message, m, SpeedRegex())) return;
  status_.iterations_per_second = ToDouble(m[1]);
  if (m[3].matched) status_.images_per_second = ToDouble(m[3]);
  status_.eta = m[4];
  status_.max_iteration = static_cast<int64_t>(iteration_) + std::atoll(m[5].str().c_str());
}

void TrainingLogParser::AddMessage(const std::string& message, double seconds) {
  std::smatch m;
  if (std::regex_search(message, m, IterationRegex())) iteration_ = ToDouble(m[1]);
  if (iteration_ < 0) return;
  status_.iteration = static_cast<int64_t>(iteration_);
  status_.seconds = seconds;
  if (std::regex_search(message, m, LearningRateRegex())) {
    learning_rate_ = ToDouble(m[1]);
    status_.learning_rate = learning_rate_;
  }
  if (std::regex_search(message, m, LossRegex())) status_.loss = ToDouble(m[2]);
  if (std::regex_search(message, m, TrainOutputRegex())) {
    AddOutput(&train_, m[2], ToDouble(m[3]), seconds);
  } else if (std::regex_search(message, m, TestOutputRegex())) {
    AddOutput(&test_, m[2], ToDouble(m[3]), seconds);
  } else if (message.find("Speed: ") != std::string::npos) {
    ParseSpeed(message);
  }
}

void TrainingLogParser::AddFileLine(const std::string& line) {
  const GlogLine glog = SplitGlogLine(line);
  if (!solving_) {
    if (line.find("Solving") == std::string::npos) return;
    solving_ = true;
    start_micros_ = glog.micros;
    return;
  }
  // A log that runs over New Year's Eve: the clock starts again at 0.
  int64_t micros = glog.micros;
  if (glog.has_prefix && micros < start_micros_) micros += int64_t{365} * 86400 * 1000000;
  const double seconds = glog.has_prefix ? (micros - start_micros_) / 1e6 : status_.seconds;
  AddMessage(glog.message, seconds);
}

void TrainingLogParser::AddFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) Throw("Cannot open the training log '", path, "'.");
  std::string line;
  while (std::getline(in, line)) AddFileLine(line);
}

std::vector<TrainingLogRow> TrainingLogParser::Fixed(std::vector<TrainingLogRow> rows) {
  if (rows.size() > 1) rows[0].learning_rate = rows[1].learning_rate;
  return rows;
}

std::string PythonFloat(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  // Python's repr: the shortest digits that read back the same; positional
  // for exponents in [-4, 16), scientific otherwise.
  char digits[64];
  auto result = std::to_chars(digits, digits + sizeof(digits), value,
                              std::chars_format::scientific);
  std::string sci(digits, result.ptr);
  const size_t e = sci.find('e');
  const int exponent = std::atoi(sci.c_str() + e + 1);
  if (exponent < -4 || exponent >= 16) {
    std::string mantissa = sci.substr(0, e);
    char sign = exponent < 0 ? '-' : '+';
    const int magnitude = std::abs(exponent);
    return StrCat(mantissa, "e", sign, magnitude < 10 ? "0" : "", magnitude);
  }
  result = std::to_chars(digits, digits + sizeof(digits), value, std::chars_format::fixed);
  std::string fixed(digits, result.ptr);
  if (fixed.find('.') == std::string::npos) fixed += ".0";
  return fixed;
}

std::string TrainingLogCsv(const std::vector<TrainingLogRow>& all_rows, char delimiter) {
  // parse_log.py keeps the first row only once a second one starts, and a
  // later row only once it has as many outputs as the first.
  std::vector<TrainingLogRow> rows;
  for (size_t i = 0; i < all_rows.size(); ++i) {
    if (i == 0 ? all_rows.size() > 1
               : all_rows[i].outputs.size() >= all_rows[0].outputs.size()) {
      rows.push_back(all_rows[i]);
    }
  }
  if (rows.empty()) return "";
  // Python's csv module ends lines with "\r\n" and leaves missing values empty.
  std::string out = StrCat("NumIters", delimiter, "Seconds", delimiter, "LearningRate");
  for (const auto& output : rows[0].outputs) out += StrCat(delimiter, output.first);
  out += "\r\n";
  for (const TrainingLogRow& row : rows) {
    out += StrCat(PythonFloat(row.iteration), delimiter, PythonFloat(row.seconds), delimiter,
                  PythonFloat(row.learning_rate));
    for (const auto& output : rows[0].outputs) {
      out += delimiter;
      for (const auto& mine : row.outputs) {
        if (mine.first == output.first) out += PythonFloat(mine.second);
      }
    }
    out += "\r\n";
  }
  return out;
}

}  // namespace crema
