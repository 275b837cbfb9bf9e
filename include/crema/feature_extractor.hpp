// Feature extraction as Caffe's extract_features tool does it: run a net
// (TEST phase, usually fed by a Data layer) for a number of mini-batches and
// store the values of chosen blobs for every example.
//
// LMDB or LevelDB output: one Datum per example with channels/height/width set from
// the blob's C/H/W (1 for missing axes) and the values in float_data, under
// the key "%010d" of the example's index, as Caffe writes them. NPY output:
// DB.npy holding an N x C x H x W float32 array.
#ifndef CREMA_FEATURE_EXTRACTOR_HPP_
#define CREMA_FEATURE_EXTRACTOR_HPP_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "crema/net.hpp"

namespace crema {

enum class FeatureFormat { LMDB, LEVELDB, NPY };

struct FeatureExtractionOptions {
  std::vector<std::string> blob_names;
  // One output per blob: an LMDB or LevelDB folder (must not hold a database yet), or a
  // path to which ".npy" is appended (unless it already ends in .npy).
  std::vector<std::string> outputs;
  int num_mini_batches = 1;
  FeatureFormat format = FeatureFormat::LMDB;
  // Told before each mini-batch how many of `total` are done (progress bars).
  std::function<void(int done, int total)> progress;
};

struct FeatureExtractionResult {
  int64_t examples = 0;              // examples stored per blob
  std::vector<std::string> written;  // the databases or .npy files written
};

// Parses "lmdb" / "leveldb" / "npy" (either case; anything else: a clear error).
FeatureFormat ParseFeatureFormat(const std::string& name);

// Caffe's key for example `index`: "%010d".
std::string FeatureKey(int64_t index);

// Throws crema::Error when a blob is missing from the net, the counts of
// blobs and outputs differ, or an output cannot be written.
FeatureExtractionResult ExtractFeatures(Net* net, const FeatureExtractionOptions& options);

}  // namespace crema

#endif  // CREMA_FEATURE_EXTRACTOR_HPP_
