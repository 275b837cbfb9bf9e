#include "crema/data/image_header.hpp"

#include <algorithm>

#include "crema/common.hpp"

namespace crema {
namespace {

uint32_t BigEndian(const std::string& bytes, size_t at, int size) {
  uint32_t value = 0;
  for (int i = 0; i < size; ++i) value = (value << 8) | static_cast<uint8_t>(bytes[at + i]);
  return value;
}

bool PngSize(const std::string& bytes, int64_t* width, int64_t* height) {
  static const char kSignature[] = "\x89PNG\r\n\x1a\n";
  if (bytes.size() < 24 || bytes.compare(0, 8, kSignature, 8) != 0 ||
      bytes.compare(12, 4, "IHDR") != 0) {
    return false;
  }
  *width = BigEndian(bytes, 16, 4);
  *height = BigEndian(bytes, 20, 4);
  return true;
}

// Walks the JPEG segments up to the first start-of-frame marker.
bool JpegSize(const std::string& bytes, int64_t* width, int64_t* height) {
  if (bytes.size() < 4 || static_cast<uint8_t>(bytes[0]) != 0xFF ||
      static_cast<uint8_t>(bytes[1]) != 0xD8) {
    return false;
  }
  size_t at = 2;
  while (at + 4 <= bytes.size()) {
    if (static_cast<uint8_t>(bytes[at]) != 0xFF) return false;
    const uint8_t marker = static_cast<uint8_t>(bytes[at + 1]);
    if (marker == 0xFF) {  // fill byte
      ++at;
      continue;
    }
    const uint32_t length = BigEndian(bytes, at + 2, 2);
    const bool sof = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 &&
                     marker != 0xC8 && marker != 0xCC;
    if (sof) {
      if (at + 9 > bytes.size()) return false;
      *height = BigEndian(bytes, at + 5, 2);
      *width = BigEndian(bytes, at + 7, 2);
      return true;
    }
    if (marker == 0xD9 || marker == 0xDA || length < 2) return false;
    at += 2 + length;
  }
  return false;
}

bool StartsWith(const std::string& bytes, const char* prefix, size_t n) {
  return bytes.size() >= n && bytes.compare(0, n, prefix, n) == 0;
}

}  // namespace

bool IsDecodedImageFormat(const std::string& bytes) {
  if (StartsWith(bytes, "\xFF\xD8\xFF", 3)) return true;                 // JPEG
  if (StartsWith(bytes, "\x89PNG\r\n\x1a\n", 8)) return true;            // PNG
  if (StartsWith(bytes, "BM", 2)) return true;                           // BMP
  if (bytes.size() >= 2 && bytes[0] == 'P' && bytes[1] >= '1' && bytes[1] <= '6') {
    return true;                                                         // PBM/PGM/PPM
  }
  if (StartsWith(bytes, "II*\0", 4) || StartsWith(bytes, "MM\0*", 4)) return true;  // TIFF
  return StartsWith(bytes, "RIFF", 4) && bytes.size() >= 12 &&
         bytes.compare(8, 4, "WEBP") == 0;                               // WebP
}

bool ReadImageHeaderSize(const std::string& bytes, int64_t* width, int64_t* height) {
  return PngSize(bytes, width, height) || JpegSize(bytes, width, height);
}

void CheckImageHeaderSize(const std::string& bytes, const std::string& what) {
  if (!IsDecodedImageFormat(bytes)) {
    Throw(what, " (", bytes.size(), " bytes) is not a JPEG, PNG, BMP, PNM, TIFF or WebP "
          "image; crema decodes those formats only.");
  }
  int64_t width = 0, height = 0;
  if (!ReadImageHeaderSize(bytes, &width, &height)) return;
  // Each side is below 2^32 (read from 4 or 2 bytes), so the product fits.
  const uint64_t pixels = static_cast<uint64_t>(width) * static_cast<uint64_t>(height);
  const uint64_t kMostPixels = uint64_t{1} << 28;
  if (pixels > kMostPixels) {
    Throw(what, " announces a ", width, " x ", height, " image; crema decodes at most ",
          kMostPixels, " pixels.");
  }
  const uint64_t most = 1100 * static_cast<uint64_t>(bytes.size()) + (1 << 20);
  if (pixels > most) {
    Throw(what, " (", bytes.size(), " bytes) announces a ", width, " x ", height,
          " image, more pixels than that many bytes can hold; the file is corrupt.");
  }
}

}  // namespace crema
