// Reading and writing protobuf messages as text (.prototxt) and binary
// (.caffemodel, .solverstate, .binaryproto) files. Errors name the file and,
// for text, the line and column.
#ifndef CREMA_IO_PROTO_IO_HPP_
#define CREMA_IO_PROTO_IO_HPP_

#include <google/protobuf/message.h>

#include <string>

namespace crema {

// Parses text format; throws crema::Error "path:line:column: message".
void ReadProtoFromTextFile(const std::string& path, google::protobuf::Message* proto);
// Parses text held in memory; `name` stands for the file in error messages.
void ReadProtoFromTextString(const std::string& text, google::protobuf::Message* proto,
                             const std::string& name = "<string>");
// Parses binary wire format of any size up to 2 GB; throws when the file is
// missing, truncated or not this message.
void ReadProtoFromBinaryFile(const std::string& path, google::protobuf::Message* proto);
// Parses binary wire format held in memory (a database value, a buffer);
// `name` stands for the source in error messages.
void ReadProtoFromBinaryString(const std::string& bytes, google::protobuf::Message* proto,
                               const std::string& name = "<bytes>");

// Writes atomically: a temporary file in the same folder, flushed, then renamed.
void WriteProtoToTextFile(const google::protobuf::Message& proto, const std::string& path);
void WriteProtoToBinaryFile(const google::protobuf::Message& proto, const std::string& path);
// Writes bytes to path atomically (temporary file, fsync, rename).
void WriteFileAtomically(const std::string& bytes, const std::string& path);

bool FileExists(const std::string& path);
std::string ReadFileToString(const std::string& path);

}  // namespace crema

#endif  // CREMA_IO_PROTO_IO_HPP_
