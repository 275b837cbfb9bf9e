// crema_forward NET.prototxt WEIGHTS.caffemodel INPUT.f32 OUTPUT.f32: runs
// one forward pass of a net (TEST phase) on raw little-endian float32 input
// (the net's single input blob, C order) and writes its first output blob
// the same way. The Python ONNX tests use it to run crema on their data.
#include <fstream>
#include <iostream>

#include "crema/net.hpp"

int main(int argc, char** argv) {
  if (argc != 5) {
    std::cerr << "usage: crema_forward NET.prototxt WEIGHTS.caffemodel "
                 "INPUT.f32 OUTPUT.f32\n";
    return 2;
  }
  try {
    crema::Net net(argv[1], crema::TEST);
    net.CopyTrainedLayersFrom(argv[2]);
    if (net.num_inputs() != 1)
      crema::Throw(argv[1], " has ", net.num_inputs(), " inputs; 1 is needed.");
    crema::Blob* input = net.input_blobs()[0];
    std::ifstream in(argv[3], std::ios::binary);
    in.read(reinterpret_cast<char*>(input->mutable_cpu_data()), input->count() * sizeof(float));
    if (!in || in.peek() != EOF) {
      crema::Throw(argv[3], " does not hold exactly ", input->shape_string(), " floats.");
    }
    const crema::Blob* output = net.Forward()[0];
    std::ofstream out(argv[4], std::ios::binary);
    out.write(reinterpret_cast<const char*>(output->cpu_data()), output->count() * sizeof(float));
    if (!out) crema::Throw("Cannot write ", argv[4], ".");
  } catch (const std::exception& e) {
    std::cerr << "crema_forward: error: " << e.what() << std::endl;
    return 1;
  }
  return 0;
}
