// Where one top blob feeds several bottoms, the net inserts a Split layer
// so that each consumer gets its own blob and their diffs are summed.
// Names follow Caffe: split layer "<blob>_<layer>_<top index>_split",
// its tops "<blob>_<layer>_<top index>_split_<k>".
#ifndef CREMA_INSERT_SPLITS_HPP_
#define CREMA_INSERT_SPLITS_HPP_

#include <string>

#include "crema/proto/crema.pb.h"

namespace crema {

// Returns a copy of param with Split layers inserted. A bottom that no
// earlier layer produces is a crema::Error naming the layer and the blob.
NetParameter InsertSplits(const NetParameter& param);

std::string SplitLayerName(const std::string& layer_name,
                           const std::string& blob_name, int blob_index);
std::string SplitBlobName(const std::string& layer_name,
                          const std::string& blob_name, int blob_index,
                          int split_index);

}  // namespace crema

#endif  // CREMA_INSERT_SPLITS_HPP_
