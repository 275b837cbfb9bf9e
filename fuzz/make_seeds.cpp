// make_seeds DIR: writes the generated seed inputs of every fuzz target
// into DIR/<target>/ (see crema::fuzz::WriteSeeds).
#include <iostream>

#include "crema/common.hpp"
#include "crema/fuzz_entry.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: make_seeds DIR\n";
    return 2;
  }
  crema::fuzz::QuietLogging();
  try {
    crema::fuzz::WriteSeeds(argv[1]);
  } catch (const crema::Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
