#include "crema/feature_extractor.hpp"

#include <algorithm>
#include <cstdio>
#include <memory>

#include "crema/common.hpp"
#include "crema/data/db.hpp"
#include "crema/io/npy.hpp"

namespace crema {

FeatureFormat ParseFeatureFormat(const std::string& name) {
  std::string lower = name;
  std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
  if (lower == "lmdb") return FeatureFormat::LMDB;
  if (lower == "npy") return FeatureFormat::NPY;
  if (lower == "leveldb") {
    Throw("The leveldb backend is not built into crema; write 'lmdb' (or 'npy').");
  }
  Throw("Unknown output format '", name, "'; use lmdb or npy.");
}

std::string FeatureKey(int64_t index) {
  char key[32];
  std::snprintf(key, sizeof(key), "%010lld", static_cast<long long>(index));
  return key;
}

namespace {

// C, H, W of a blob as Caffe's legacy accessors give them.
std::vector<int64_t> InnerShape(const Blob& blob) {
  return {blob.channels(), blob.height(), blob.width()};
}

}  // namespace

FeatureExtractionResult ExtractFeatures(Net* net, const FeatureExtractionOptions& options) {
  const size_t n = options.blob_names.size();
  if (n == 0) Throw("Name at least one blob to extract.");
  if (options.outputs.size() != n) {
    Throw(n, " blob name(s) but ", options.outputs.size(),
          " output name(s) were given; give one output per blob.");
  }
  if (options.num_mini_batches < 1) {
    Throw("The number of mini-batches must be positive (got ", options.num_mini_batches, ").");
  }
  std::vector<std::shared_ptr<Blob>> blobs;
  for (const std::string& name : options.blob_names) blobs.push_back(net->blob_by_name(name));
  for (const auto& blob : blobs) {
    if (blob->num_axes() > 4) {
      Throw("Blob ", blob->shape_string(), " has more than 4 axes; features are stored as "
            "N x C x H x W.");
    }
  }

  FeatureExtractionResult result;
  std::vector<std::unique_ptr<db::DB>> dbs;
  std::vector<std::unique_ptr<db::Transaction>> txns;
  std::vector<std::unique_ptr<NpyWriter>> npys;
  for (size_t i = 0; i < n; ++i) {
    if (options.format == FeatureFormat::LMDB) {
      dbs.push_back(db::OpenDB("lmdb", options.outputs[i], db::Mode::NEW));
      txns.push_back(dbs.back()->NewTransaction());
      result.written.push_back(options.outputs[i]);
    } else {
      std::string path = options.outputs[i];
      if (path.size() < 4 || path.compare(path.size() - 4, 4, ".npy") != 0) path += ".npy";
      result.written.push_back(path);
      npys.push_back(nullptr);  // opened once the blob's shape is known
    }
  }

  std::vector<int64_t> counts(n, 0);
  std::vector<std::vector<int64_t>> first_shapes(n);
  for (int batch = 0; batch < options.num_mini_batches; ++batch) {
    if (options.progress) options.progress(batch, options.num_mini_batches);
    net->Forward();
    for (size_t i = 0; i < n; ++i) {
      const Blob& blob = *blobs[i];
      const int num = blob.num_axes() == 0 ? 1 : blob.shape(0);
      const int dim = num == 0 ? 0 : blob.count() / num;
      const std::vector<int64_t> inner = InnerShape(blob);
      if (first_shapes[i].empty()) {
        first_shapes[i] = inner;
      } else if (first_shapes[i] != inner) {
        Throw("Blob '", options.blob_names[i], "' changed shape between mini-batches (now ",
              blob.shape_string(), ").");
      }
      const float* data = blob.cpu_data();
      if (options.format == FeatureFormat::LMDB) {
        Datum datum;
        datum.set_channels(blob.channels());
        datum.set_height(blob.height());
        datum.set_width(blob.width());
        for (int k = 0; k < num; ++k) {
          datum.clear_float_data();
          for (int d = 0; d < dim; ++d) datum.add_float_data(data[k * dim + d]);
          txns[i]->Put(FeatureKey(counts[i]), datum.SerializeAsString());
          ++counts[i];
          if (counts[i] % 1000 == 0) {
            txns[i]->Commit();
            LOG(INFO) << "Extracted features of " << counts[i] << " query images for feature blob "
                      << options.blob_names[i];
          }
        }
      } else {
        if (!npys[i]) npys[i] = std::make_unique<NpyWriter>(result.written[i], inner);
        npys[i]->Append(data, num);
        counts[i] += num;
      }
    }
  }
  for (size_t i = 0; i < n; ++i) {
    if (options.format == FeatureFormat::LMDB) {
      txns[i]->Commit();
      dbs[i]->Close();
    } else {
      npys[i]->Close();
    }
    LOG(INFO) << "Extracted features of " << counts[i] << " query images for feature blob "
              << options.blob_names[i] << " into " << result.written[i];
  }
  result.examples = counts.empty() ? 0 : counts[0];
  return result;
}

}  // namespace crema
