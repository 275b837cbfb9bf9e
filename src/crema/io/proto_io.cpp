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

namespace {

// Makes a rename inside `dir` durable: without it a crash right after the
// rename may bring back the old directory entry.
void SyncDirectory(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return;  // some file systems cannot open folders; nothing to sync
  ::fsync(fd);
  ::close(fd);
}

// Writes all of bytes to fd; 0 or the errno of the failure.
int WriteAll(int fd, const std::string& bytes) {
  size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    if (n == 0) return EIO;
    written += static_cast<size_t>(n);
  }
  return 0;
}

}  // namespace

// The temporary file lives in the destination's folder (a rename within one
// file system is atomic); the final name only ever names complete files.
void WriteFileAtomically(const std::string& bytes, const std::string& path) {
  const size_t slash = path.find_last_of('/');
  const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash + 1);
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    Throw("Cannot write '", path, "': creating the temporary file '", tmp,
          "' failed: ", std::strerror(errno), ".");
  }
  int err = WriteAll(fd, bytes);
  const char* step = "writing";
  if (err == 0 && ::fsync(fd) != 0) {
    err = errno;
    step = "flushing";
  }
  if (::close(fd) != 0 && err == 0) {
    err = errno;
    step = "closing";
  }
  if (err != 0) {
    ::unlink(tmp.c_str());
    Throw("Cannot write '", path, "': ", step, " ", bytes.size(), " bytes failed: ",
          std::strerror(err), ". The temporary file was removed; any earlier '", path,
          "' is unchanged.");
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    err = errno;
    ::unlink(tmp.c_str());
    Throw("Cannot write '", path, "': renaming the finished temporary file into place "
          "failed: ", std::strerror(err), ".");
  }
  SyncDirectory(dir);
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
