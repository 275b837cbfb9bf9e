// reference_pass: one forward (and, when asked, backward) pass of a net in
// C++, writing every blob's values as raw float32 files. The Python tests
// compare the module's passes with it.
//
//   reference_pass MODEL WEIGHTS INPUT.bin OUTDIR [backward]
//
// INPUT.bin fills the net's first input. With "backward", every output's
// diff is set to 1 and the net runs backward. Writes OUTDIR/blob<i>.data,
// OUTDIR/blob<i>.diff (backward) and OUTDIR/param<j>.diff (backward).
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>

#include "crema/common.hpp"
#include "crema/net.hpp"

namespace {

void WriteRaw(const std::string& path, const float* values, int count) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(values), sizeof(float) * count);
  if (!out) crema::Throw("Cannot write ", path);
}

void ReadRaw(const std::string& path, float* values, int count) {
  std::ifstream in(path, std::ios::binary);
  in.read(reinterpret_cast<char*>(values), sizeof(float) * count);
  if (!in) crema::Throw("Cannot read ", count, " floats from ", path);
}

int Run(const std::string& model, const std::string& weights, const std::string& input,
        const std::string& outdir, bool backward) {
  crema::Net net(model, crema::TEST);
  net.CopyTrainedLayersFrom(weights);
  crema::Blob* in = net.input_blobs().at(0);
  ReadRaw(input, in->mutable_cpu_data(), in->count());
  net.Forward();
  if (backward) {
    for (crema::Blob* out : net.output_blobs()) {
      float* diff = out->mutable_cpu_diff();
      for (int i = 0; i < out->count(); ++i) diff[i] = 1.f;
    }
    net.Backward();
  }
  for (size_t i = 0; i < net.blobs().size(); ++i) {
    const crema::Blob& blob = *net.blobs()[i];
    const std::string stem = outdir + "/blob" + std::to_string(i);
    WriteRaw(stem + ".data", blob.cpu_data(), blob.count());
    if (backward) WriteRaw(stem + ".diff", blob.cpu_diff(), blob.count());
  }
  for (size_t j = 0; backward && j < net.params().size(); ++j) {
    const crema::Blob& param = *net.params()[j];
    WriteRaw(outdir + "/param" + std::to_string(j) + ".diff", param.cpu_diff(), param.count());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  FLAGS_minloglevel = 2;
  google::InitGoogleLogging(argv[0]);
  if (argc != 5 && argc != 6) {
    std::cerr << "usage: reference_pass MODEL WEIGHTS INPUT.bin OUTDIR [backward]\n";
    return 2;
  }
  try {
    return Run(argv[1], argv[2], argv[3], argv[4], argc == 6);
  } catch (const crema::Error& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
}
