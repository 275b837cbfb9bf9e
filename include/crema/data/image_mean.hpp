// The mean image of a database of Datums, as Caffe's compute_image_mean.
#ifndef CREMA_DATA_IMAGE_MEAN_HPP_
#define CREMA_DATA_IMAGE_MEAN_HPP_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "crema/proto/crema.pb.h"

namespace crema {

// Averages every record (encoded ones decoded as stored) into a
// 1 x C x H x W BlobProto; channel_means (optional) gets the mean of each
// channel. Throws crema::Error naming the database and the record when the
// database is missing or empty or a record's size differs from the first's.
// `progress`, when given, hears how many of the records are done.
BlobProto ComputeImageMean(
    const std::string& db_path, const std::string& backend = "lmdb",
    std::vector<float>* channel_means = nullptr,
    const std::function<void(int64_t done, int64_t total)>& progress = nullptr);

}  // namespace crema

#endif  // CREMA_DATA_IMAGE_MEAN_HPP_
