// Datum helpers: images in and out of the Datum message that Caffe stores in
// its databases. A Datum holds one example as raw uint8 pixels (`data`,
// channel-major C x H x W), as floats (`float_data`), or as the bytes of a
// JPEG/PNG file (`encoded` = true) decoded on read.
#ifndef CREMA_DATA_DATUM_HPP_
#define CREMA_DATA_DATUM_HPP_

#include <opencv2/core.hpp>

#include <string>

#include "crema/proto/crema.pb.h"

namespace crema {

// Reads an image with OpenCV (3 channels BGR when is_color, else 1 channel),
// resized to height x width when both are positive. Returns an empty Mat
// when the file is missing or not a decodable image.
cv::Mat ReadImageToCVMat(const std::string& path, int height, int width,
                         bool is_color);

// Caffe's ReadImageToDatum: reads path into datum with the given label.
// With an `encoding` ("png", "jpg", ...) the datum holds compressed bytes:
// the file's own bytes when no resize or color change is needed and its
// extension matches, else the image re-encoded. Without, raw uint8 pixels.
// Returns false (datum untouched) when the file is not a readable image.
bool ReadImageToDatum(const std::string& path, int label, int height, int width,
                      bool is_color, const std::string& encoding, Datum* datum);

// Stores the whole file's bytes as an encoded datum.
bool ReadFileToDatum(const std::string& path, int label, Datum* datum);

// Raw uint8 pixels of an 8-bit Mat (any channel count) into datum
// (channels/height/width set, data filled, float_data cleared, not encoded).
// The label is left as it is.
void CVMatToDatum(const cv::Mat& image, Datum* datum);

// Datum -> 8-bit Mat. Encoded datums are decoded (is_color picks 3 or 1
// channels; the Native variant keeps what the file has); raw uint8 datums
// are copied. Throws crema::Error when decoding fails or the datum holds
// float_data (which has no 8-bit image form).
cv::Mat DecodeDatumToCVMat(const Datum& datum, bool is_color);
cv::Mat DecodeDatumToCVMatNative(const Datum& datum);
cv::Mat DatumToCVMat(const Datum& datum);

// Replaces an encoded datum's bytes by raw pixels (label kept). Returns
// false when the datum was not encoded.
bool DecodeDatum(Datum* datum, bool is_color);
bool DecodeDatumNative(Datum* datum);

// Number of values the datum holds (bytes of `data` or floats) and the
// number its channels x height x width announce.
size_t DatumValueCount(const Datum& datum);
size_t DatumShapeCount(const Datum& datum);

// "3 x 32 x 32" (+ encoded/float) for error messages.
std::string DatumDescription(const Datum& datum);

}  // namespace crema

#endif  // CREMA_DATA_DATUM_HPP_
