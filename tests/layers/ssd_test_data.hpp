// Generated SSD data for tests: images holding one bright square each, and
// an LMDB of AnnotatedDatum records with the square's box.
#ifndef CREMA_TESTS_LAYERS_SSD_TEST_DATA_HPP_
#define CREMA_TESTS_LAYERS_SSD_TEST_DATA_HPP_

#include <random>
#include <string>

#include "crema/data/db.hpp"
#include "crema/proto/crema.pb.h"

namespace crema {
namespace testing {

// A size x size x channels raw image, dark with noise, holding a bright
// square of side `side` at (x, y) (pixels); its box, normalised, labelled.
inline AnnotatedDatum SquareImage(int size, int channels, int x, int y, int side, int label,
                                  std::mt19937* rng) {
  AnnotatedDatum record;
  record.set_type(AnnotatedDatum::BBOX);
  Datum* datum = record.mutable_datum();
  datum->set_channels(channels);
  datum->set_height(size);
  datum->set_width(size);
  std::string pixels(static_cast<size_t>(channels) * size * size, '\0');
  std::uniform_int_distribution<int> noise(0, 40);
  for (int c = 0; c < channels; ++c) {
    for (int h = 0; h < size; ++h) {
      for (int w = 0; w < size; ++w) {
        const bool inside = h >= y && h < y + side && w >= x && w < x + side;
        pixels[(c * size + h) * size + w] = static_cast<char>(inside ? 200 + noise(*rng) / 2
                                                                     : noise(*rng));
      }
    }
  }
  datum->set_data(pixels);
  AnnotationGroup* group = record.add_annotation_group();
  group->set_group_label(label);
  NormalizedBBox* box = group->add_annotation()->mutable_bbox();
  box->set_xmin(static_cast<float>(x) / size);
  box->set_ymin(static_cast<float>(y) / size);
  box->set_xmax(static_cast<float>(x + side) / size);
  box->set_ymax(static_cast<float>(y + side) / size);
  return record;
}

// Writes `count` such images of random square place and size to an LMDB.
inline void WriteSquaresLmdb(const std::string& path, int count, int size, int channels,
                             unsigned seed = 7) {
  std::mt19937 rng(seed);
  auto db = db::OpenDB("lmdb", path, db::Mode::NEW);
  auto txn = db->NewTransaction();
  for (int i = 0; i < count; ++i) {
    const int side = std::uniform_int_distribution<int>(size / 4, size / 2)(rng);
    const int x = std::uniform_int_distribution<int>(0, size - side)(rng);
    const int y = std::uniform_int_distribution<int>(0, size - side)(rng);
    txn->Put(db::FormatKey(i), SquareImage(size, channels, x, y, side, 1, &rng)
                                   .SerializeAsString());
  }
  txn->Commit();
  db->Close();
}

}  // namespace testing
}  // namespace crema

#endif  // CREMA_TESTS_LAYERS_SSD_TEST_DATA_HPP_
