// Weight initializers, selected by FillerParameter.type as in Caffe:
// constant, uniform, gaussian (optionally sparse), positive_unitball,
// xavier, msra, bilinear.
#ifndef CREMA_FILLER_HPP_
#define CREMA_FILLER_HPP_

#include <memory>

#include "crema/blob.hpp"
#include "crema/proto/crema.pb.h"

namespace crema {

class Filler {
 public:
  explicit Filler(const FillerParameter& param) : filler_param_(param) {}
  virtual ~Filler() = default;
  virtual void Fill(Blob* blob) = 0;

 protected:
  FillerParameter filler_param_;
};

// Creates the filler param names; an unknown type is a crema::Error.
std::unique_ptr<Filler> GetFiller(const FillerParameter& param);

}  // namespace crema

#endif  // CREMA_FILLER_HPP_
