// Helpers for the end-to-end suites: generated-digit LMDBs, LeNet from the
// zoo pointed at them, and running the real tools as child processes.
#ifndef CREMA_TESTS_E2E_E2E_UTIL_HPP_
#define CREMA_TESTS_E2E_E2E_UTIL_HPP_

#include <sys/types.h>

#include <string>
#include <vector>

#include "crema/proto/crema.pb.h"

namespace crema {
namespace testing {

const char kTrainTool[] = CREMA_BINARY_DIR "/tools/train";

// Renders digits into dir/digits/{train,test} (seed 1) and converts them in
// folder mode (gray; train shuffled) to dir/train_lmdb and dir/test_lmdb.
void MakeDigitLmdbs(const std::string& dir, int train_per_class, int test_per_class);

// models/lenet/lenet_train_test.prototxt with its Data layers reading
// train_lmdb / test_lmdb at the given batch sizes.
NetParameter LeNetOn(const std::string& train_lmdb, const std::string& test_lmdb,
                     int train_batch, int test_batch);

// Adds random crops of crop_size and mirroring to both Data layers.
void AddCropAndMirror(NetParameter* net, int crop_size);

// Starts `binary args...` with stdout and stderr appended to log; returns
// the pid (-1 when it could not start).
pid_t SpawnTool(const std::string& binary, const std::vector<std::string>& args,
                const std::string& log);
// Waits up to `seconds` for pid; its exit code, or -1 (killed or timed out).
int WaitTool(pid_t pid, double seconds);
int RunToolFor(const std::string& binary, const std::vector<std::string>& args,
               const std::string& log, double seconds);

// The value of the last "Test net output #i: <name> = X" in log, or -1.
float LastTestOutput(const std::string& log, const std::string& name);

}  // namespace testing
}  // namespace crema

#endif  // CREMA_TESTS_E2E_E2E_UTIL_HPP_
