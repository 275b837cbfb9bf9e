// One entry function per reader of outside bytes. The libFuzzer targets
// under fuzz/ and the regression test that replays tests/fuzz_regressions/
// call the same functions, so an input that once crashed a reader is
// replayed by `make test` through exactly the code the fuzzer reached.
//
// Each entry takes the bytes of one file (or one database value), runs it
// through crema's reader the way the library's own users do, and either
// returns or throws crema::Error. Anything else -- another exception, an
// abort, a sanitizer report, a huge allocation -- is a bug in crema.
#ifndef CREMA_FUZZ_ENTRY_HPP_
#define CREMA_FUZZ_ENTRY_HPP_

#include <string>
#include <vector>

namespace crema {
namespace fuzz {

using Entry = void (*)(const std::string& bytes);

struct Target {
  const char* name;   // fuzz/<name>.cpp, tests/fuzz_regressions/<name>/
  Entry run;
  const char* reads;  // what the bytes stand for, in words
};

// Every target, in the order `make fuzz` runs them.
const std::vector<Target>& Targets();
// The target of that name; throws crema::Error naming the known ones.
const Target& FindTarget(const std::string& name);

// Runs entry on bytes. Returns true when it accepted them and false when it
// answered with crema::Error (whose message goes to *error when given).
// Every other exception propagates: it is a bug.
bool RunOne(Entry entry, const std::string& bytes, std::string* error = nullptr);

// Sends glog's INFO and WARNING lines nowhere (a fuzzer runs millions of
// inputs); errors still print.
void QuietLogging();

// Writes a few valid inputs per target into dir/<target>/ (generated, so no
// binary seeds need to be committed). Every one is accepted by its entry.
void WriteSeeds(const std::string& dir);

// ---- the entries ----
void NetPrototxt(const std::string& bytes);     // text NetParameter, upgraded, filtered, split
void SolverPrototxt(const std::string& bytes);  // text SolverParameter, upgraded, checked
void UpgradeNet(const std::string& bytes);      // V0/V1 text net through each upgrade step
void Caffemodel(const std::string& bytes);      // binary NetParameter copied into a small net
void BinaryProto(const std::string& bytes);     // binary BlobProto read as a mean image
void SolverStateFile(const std::string& bytes); // .solverstate restored into a small solver
void DatumValue(const std::string& bytes);      // an LMDB value through the Data layer's path
void EncodedImage(const std::string& bytes);    // image bytes as an encoded Datum, decoded
void Hdf5File(const std::string& bytes);        // an .h5 file read by the HDF5Data layer
void ListFile(const std::string& bytes);        // image list / labels / HDF5 list text
void ClassifyImage(const std::string& bytes);   // an image file given to classify

}  // namespace fuzz
}  // namespace crema

#endif  // CREMA_FUZZ_ENTRY_HPP_
