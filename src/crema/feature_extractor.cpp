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
  if (lower == "leveldb") return FeatureFormat::LEVELDB;
  if (lower == "npy") return FeatureFormat::NPY;
  Throw("Unknown output format '", name, "'; use lmdb, leveldb or npy.");
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

// Where the features of one blob go: a database transaction or a .npy file.
struct FeatureSink {
  std::string blob_name;
  std::string path;
  std::unique_ptr<db::DB> db;
  std::unique_ptr<db::Transaction> txn;
  std::unique_ptr<NpyWriter> npy;     // opened once the blob's shape is known
  std::vector<int64_t> inner_shape;  // of the first mini-batch
  int64_t count = 0;
};

void CheckOptions(const FeatureExtractionOptions& options) {
  const size_t n = options.blob_names.size();
  if (n == 0) Throw("Name at least one blob to extract.");
  if (options.outputs.size() != n) {
    Throw(n, " blob name(s) but ", options.outputs.size(),
          " output name(s) were given; give one output per blob.");
  }
  if (options.num_mini_batches < 1) {
    Throw("The number of mini-batches must be positive (got ", options.num_mini_batches, ").");
  }
}

FeatureSink OpenSink(const std::string& blob_name, const std::string& output,
                     FeatureFormat format) {
  FeatureSink sink;
  sink.blob_name = blob_name;
  sink.path = output;
  if (format != FeatureFormat::NPY) {
    sink.db = db::OpenDB(format == FeatureFormat::LMDB ? "lmdb" : "leveldb", output,
                         db::Mode::NEW);
    sink.txn = sink.db->NewTransaction();
  } else if (output.size() < 4 || output.compare(output.size() - 4, 4, ".npy") != 0) {
    sink.path += ".npy";
  }
  return sink;
}

// One Datum per example, committed every 1000 examples as Caffe does.
void WriteDatums(const Blob& blob, int num, int dim, FeatureSink* sink) {
  const float* data = blob.cpu_data();
  Datum datum;
  datum.set_channels(blob.channels());
  datum.set_height(blob.height());
  datum.set_width(blob.width());
  for (int k = 0; k < num; ++k) {
    datum.clear_float_data();
    for (int d = 0; d < dim; ++d) datum.add_float_data(data[k * dim + d]);
    sink->txn->Put(FeatureKey(sink->count), datum.SerializeAsString());
    ++sink->count;
    if (sink->count % 1000 == 0) {
      sink->txn->Commit();
      LOG(INFO) << "Extracted features of " << sink->count
                << " query images for feature blob " << sink->blob_name;
    }
  }
}

void WriteBatch(const Blob& blob, FeatureSink* sink) {
  const int num = blob.num_axes() == 0 ? 1 : blob.shape(0);
  const int dim = num == 0 ? 0 : blob.count() / num;
  const std::vector<int64_t> inner = InnerShape(blob);
  if (sink->inner_shape.empty()) {
    sink->inner_shape = inner;
  } else if (sink->inner_shape != inner) {
    Throw("Blob '", sink->blob_name, "' changed shape between mini-batches (now ",
          blob.shape_string(), ").");
  }
  if (sink->txn) {
    WriteDatums(blob, num, dim, sink);
    return;
  }
  if (!sink->npy) sink->npy = std::make_unique<NpyWriter>(sink->path, inner);
  sink->npy->Append(blob.cpu_data(), num);
  sink->count += num;
}

void CloseSink(FeatureSink* sink) {
  if (sink->txn) {
    sink->txn->Commit();
    sink->db->Close();
  } else {
    sink->npy->Close();
  }
  LOG(INFO) << "Extracted features of " << sink->count << " query images for feature blob "
            << sink->blob_name << " into " << sink->path;
}

}  // namespace

FeatureExtractionResult ExtractFeatures(Net* net, const FeatureExtractionOptions& options) {
  CheckOptions(options);
  std::vector<std::shared_ptr<Blob>> blobs;
  for (const std::string& name : options.blob_names) blobs.push_back(net->blob_by_name(name));
  for (const auto& blob : blobs) {
    if (blob->num_axes() > 4) {
      Throw("Blob ", blob->shape_string(), " has more than 4 axes; features are stored as "
            "N x C x H x W.");
    }
  }
  std::vector<FeatureSink> sinks;
  for (size_t i = 0; i < blobs.size(); ++i) {
    sinks.push_back(OpenSink(options.blob_names[i], options.outputs[i], options.format));
  }
  for (int batch = 0; batch < options.num_mini_batches; ++batch) {
    if (options.progress) options.progress(batch, options.num_mini_batches);
    net->Forward();
    for (size_t i = 0; i < blobs.size(); ++i) {
      blobs[i]->ToPlain();  // whatever the net's policy (Net::set_plain_after_pass)
      WriteBatch(*blobs[i], &sinks[i]);
    }
  }
  FeatureExtractionResult result;
  for (FeatureSink& sink : sinks) {
    CloseSink(&sink);
    result.written.push_back(sink.path);
  }
  result.examples = sinks.empty() ? 0 : sinks[0].count;
  return result;
}

}  // namespace crema
