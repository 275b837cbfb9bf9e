#include "crema/io/proto_io.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/io/zero_copy_stream_impl.h>
#include <google/protobuf/text_format.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <fstream>
#include <sstream>

#include "crema/common.hpp"

namespace crema {
namespace {

// Collects the parser's first error with its position (protobuf counts lines
// and columns from zero; people count from one).
class FirstErrorCollector : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, int column, const std::string& message) override {
    if (!has_error_) {
      has_error_ = true;
      line_ = line + 1;
      column_ = column + 1;
      message_ = message;
    }
  }
  void AddWarning(int, int, const std::string&) override {}
  bool has_error() const { return has_error_; }
  std::string Describe(const std::string& name) const {
    return StrCat(name, ":", line_, ":", column_, ": ", message_);
  }

 private:
  bool has_error_ = false;
  int line_ = 0, column_ = 0;
  std::string message_;
};

}  // namespace

bool FileExists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::string ReadFileToString(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    Throw("Cannot open '", path, "': ", std::strerror(errno), ".");
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void ReadProtoFromTextString(const std::string& text, google::protobuf::Message* proto,
                             const std::string& name) {
  google::protobuf::TextFormat::Parser parser;
  FirstErrorCollector errors;
  parser.RecordErrorsTo(&errors);
  if (!parser.ParseFromString(text, proto)) {
    if (errors.has_error()) {
      Throw(errors.Describe(name), " (while reading a ",
            proto->GetDescriptor()->name(), ")");
    }
    Throw(name, ": not a valid ", proto->GetDescriptor()->name(), " text file.");
  }
}

void ReadProtoFromTextFile(const std::string& path, google::protobuf::Message* proto) {
  if (!FileExists(path)) Throw("File not found: '", path, "'.");
  ReadProtoFromTextString(ReadFileToString(path), proto, path);
}

void ReadProtoFromBinaryFile(const std::string& path, google::protobuf::Message* proto) {
  if (!FileExists(path)) Throw("File not found: '", path, "'.");
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) Throw("Cannot open '", path, "': ", std::strerror(errno), ".");
  bool ok;
  {
    google::protobuf::io::FileInputStream raw(fd);
    google::protobuf::io::CodedInputStream coded(&raw);
    // Caffe model files routinely exceed protobuf's default 64 MB limit.
    coded.SetTotalBytesLimit(INT_MAX);
    ok = proto->ParseFromCodedStream(&coded) && coded.ConsumedEntireMessage();
  }
  ::close(fd);
  if (!ok) {
    Throw("'", path, "' is not a valid binary ", proto->GetDescriptor()->name(),
          " file (truncated, corrupt, or a different kind of file).");
  }
}

void ReadProtoFromBinaryString(const std::string& bytes, google::protobuf::Message* proto,
                               const std::string& name) {
  if (bytes.size() > static_cast<size_t>(INT_MAX)) {
    Throw("'", name, "' holds ", bytes.size(), " bytes; binary protobuf messages are "
          "limited to 2 GB.");
  }
  google::protobuf::io::ArrayInputStream raw(bytes.data(), static_cast<int>(bytes.size()));
  google::protobuf::io::CodedInputStream coded(&raw);
  coded.SetTotalBytesLimit(INT_MAX);
  if (!proto->ParseFromCodedStream(&coded) || !coded.ConsumedEntireMessage()) {
    Throw("'", name, "' is not a valid binary ", proto->GetDescriptor()->name(),
          " (truncated, corrupt, or a different kind of data).");
  }
}

void WriteFileAtomically(const std::string& bytes, const std::string& path) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) {
    Throw("Cannot write '", path, "': ", std::strerror(errno), ".");
  }
  size_t written = 0;
  while (written < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      Throw("Writing '", path, "' failed: ", std::strerror(err), ".");
    }
    written += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    Throw("Flushing '", path, "' failed: ", std::strerror(err), ".");
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    Throw("Renaming the new '", path, "' into place failed: ", std::strerror(err), ".");
  }
}

void WriteProtoToTextFile(const google::protobuf::Message& proto, const std::string& path) {
  std::string text;
  if (!google::protobuf::TextFormat::PrintToString(proto, &text)) {
    Throw("Could not render ", proto.GetDescriptor()->name(), " as text.");
  }
  WriteFileAtomically(text, path);
}

void WriteProtoToBinaryFile(const google::protobuf::Message& proto, const std::string& path) {
  std::string bytes;
  if (!proto.SerializeToString(&bytes)) {
    Throw("Could not serialize ", proto.GetDescriptor()->name(), " for '", path, "'.");
  }
  WriteFileAtomically(bytes, path);
}

}  // namespace crema
