#include "crema/data/image_mean.hpp"

#include "crema/common.hpp"
#include "crema/data/datum.hpp"
#include "crema/data/db.hpp"

namespace crema {

BlobProto ComputeImageMean(const std::string& db_path, const std::string& backend,
                           std::vector<float>* channel_means,
                           const std::function<void(int64_t, int64_t)>& progress) {
  auto db = db::OpenDB(backend, db_path, db::Mode::READ);
  auto cursor = db->NewCursor();
  if (!cursor->valid()) Throw("The database '", db_path, "' holds no records.");
  const int64_t total = db->Count();

  std::vector<double> sum;
  int channels = 0, height = 0, width = 0;
  Datum datum;
  for (int64_t n = 0; n < total; ++n, cursor->Next()) {
    if (progress) progress(n, total);
    const std::string key = cursor->key();
    if (!datum.ParseFromString(cursor->value())) {
      Throw("'", db_path, "', record '", key, "': the value is not a Datum message.");
    }
    try {
      DecodeDatumNative(&datum);
    } catch (const Error& e) {
      Throw("'", db_path, "', record '", key, "': ", e.what());
    }
    const size_t values = DatumValueCount(datum);
    if (n == 0) {
      channels = datum.channels();
      height = datum.height();
      width = datum.width();
      sum.assign(DatumShapeCount(datum), 0.0);
    }
    if (values != sum.size() || datum.channels() != channels ||
        datum.height() != height || datum.width() != width) {
      Throw("'", db_path, "', record '", key, "' is ", DatumDescription(datum), " (",
            values, " values) but the first record is ", channels, " x ", height, " x ",
            width, " (", sum.size(), " values); all records must have the same size.");
    }
    if (!datum.data().empty()) {
      const auto* bytes = reinterpret_cast<const uint8_t*>(datum.data().data());
      for (size_t i = 0; i < values; ++i) sum[i] += bytes[i];
    } else {
      for (size_t i = 0; i < values; ++i) sum[i] += datum.float_data(static_cast<int>(i));
    }
    if ((n + 1) % 10000 == 0) LOG(INFO) << "Processed " << n + 1 << " records.";
  }

  BlobProto mean;
  mean.set_num(1);
  mean.set_channels(channels);
  mean.set_height(height);
  mean.set_width(width);
  for (double s : sum) mean.add_data(static_cast<float>(s / total));
  if (channel_means) {
    channel_means->assign(channels, 0.f);
    const size_t plane = static_cast<size_t>(height) * width;
    for (int c = 0; c < channels; ++c) {
      double acc = 0;
      for (size_t i = 0; i < plane; ++i) acc += mean.data(static_cast<int>(c * plane + i));
      (*channel_means)[c] = static_cast<float>(acc / plane);
    }
  }
  return mean;
}

}  // namespace crema
