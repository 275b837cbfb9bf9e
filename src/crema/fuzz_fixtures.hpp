// What the fuzz entries and their seed writer share: the small net and
// solver the weights and solver states are read into, and scratch files.
#ifndef CREMA_FUZZ_FIXTURES_HPP_
#define CREMA_FUZZ_FIXTURES_HPP_

#include <string>

namespace crema {
namespace fuzz {

// A deploy-sized net with every kind of learned blob a reader fills
// (convolution, batch-norm statistics, inner product) and a loss.
extern const char kFixtureNet[];
// A deploy net of one 3 x 8 x 8 input for the classifier entry.
extern const char kFixtureDeployNet[];

// A path inside this process's scratch folder (created on first use).
std::string ScratchPath(const std::string& name);
// Writes bytes to ScratchPath(name) and returns that path.
std::string WriteScratch(const std::string& name, const std::string& bytes);

}  // namespace fuzz
}  // namespace crema

#endif  // CREMA_FUZZ_FIXTURES_HPP_
