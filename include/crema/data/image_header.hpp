// The width and height a PNG or JPEG file announces in its header, read
// before decoding, so that a few bytes announcing a huge picture are refused
// instead of decoded into gigabytes.
#ifndef CREMA_DATA_IMAGE_HEADER_HPP_
#define CREMA_DATA_IMAGE_HEADER_HPP_

#include <cstdint>
#include <string>

namespace crema {

// True when bytes start like a PNG (IHDR) or a baseline/progressive JPEG
// (an SOF segment) whose size could be read; false for other formats or a
// header cut short.
bool ReadImageHeaderSize(const std::string& bytes, int64_t* width, int64_t* height);

// True when bytes start with the signature of a format crema hands to
// OpenCV's decoders: JPEG, PNG, BMP, PNM (P1-P6), TIFF or WebP. OpenCV can
// decode more (DICOM, JPEG 2000, OpenEXR, through GDAL ...), but those
// decoders have crashed on malformed input, and no Caffe data set uses them.
bool IsDecodedImageFormat(const std::string& bytes);

// Throws crema::Error naming `what` when the bytes are not in one of those
// formats, or when the header announces more pixels
// than an image of this many bytes can hold (deflate and JPEG cannot pack
// more than about a thousand pixels into a byte) or more than 2^28 pixels.
void CheckImageHeaderSize(const std::string& bytes, const std::string& what);

}  // namespace crema

#endif  // CREMA_DATA_IMAGE_HEADER_HPP_
