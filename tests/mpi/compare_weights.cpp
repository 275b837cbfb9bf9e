// compare_weights A.caffemodel B.caffemodel TOLERANCE
// The relative difference of all the weights, |a - b| / |b| (L2 norms over
// every parameter blob of every layer together); exits 0 when it is at most
// TOLERANCE, 1 otherwise (or when the files disagree in layers or shapes).
// Also prints the blob that differs most, relative to its own norm. Used by
// the MPI tests.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <string>

#include "crema/common.hpp"
#include "crema/io/proto_io.hpp"
#include "crema/proto/crema.pb.h"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: compare_weights A.caffemodel B.caffemodel TOLERANCE\n";
    return 2;
  }
  try {
    crema::NetParameter a, b;
    crema::ReadProtoFromBinaryFile(argv[1], &a);
    crema::ReadProtoFromBinaryFile(argv[2], &b);
    const double tolerance = std::atof(argv[3]);
    std::map<std::string, const crema::LayerParameter*> b_layers;
    for (const auto& layer : b.layer()) b_layers[layer.name()] = &layer;
    double worst = 0, total_diff = 0, total_norm = 0;
    std::string worst_name;
    int blobs = 0;
    for (const auto& layer : a.layer()) {
      if (layer.blobs_size() == 0) continue;
      auto it = b_layers.find(layer.name());
      if (it == b_layers.end() || it->second->blobs_size() != layer.blobs_size()) {
        std::cerr << "layer '" << layer.name() << "' differs in its blobs\n";
        return 1;
      }
      for (int i = 0; i < layer.blobs_size(); ++i) {
        const auto& x = layer.blobs(i);
        const auto& y = it->second->blobs(i);
        if (x.data_size() != y.data_size()) {
          std::cerr << "layer '" << layer.name() << "' blob " << i << " differs in size\n";
          return 1;
        }
        double diff = 0, norm = 0;
        for (int k = 0; k < x.data_size(); ++k) {
          diff += (double(x.data(k)) - y.data(k)) * (double(x.data(k)) - y.data(k));
          norm += double(y.data(k)) * y.data(k);
        }
        total_diff += diff;
        total_norm += norm;
        const double relative = std::sqrt(diff) / std::max(std::sqrt(norm), 1e-30);
        if (relative >= worst) {
          worst = relative;
          worst_name = layer.name() + " blob " + std::to_string(i);
        }
        ++blobs;
      }
    }
    if (blobs == 0) {
      std::cerr << "no parameter blobs in " << argv[1] << "\n";
      return 1;
    }
    const double overall = std::sqrt(total_diff) / std::max(std::sqrt(total_norm), 1e-30);
    std::printf("%d blobs: relative difference %.3g (tolerance %.3g); most in one blob: "
                "%.3g (%s)\n", blobs, overall, tolerance, worst, worst_name.c_str());
    return overall <= tolerance ? 0 : 1;
  } catch (const crema::Error& e) {
    std::cerr << "compare_weights: " << e.what() << "\n";
    return 1;
  }
}
