// ctest runs the test cases as parallel processes; with OpenMP (oneDNN,
// OpenBLAS's OpenMP flavour) each one would also start a thread per core,
// and the tiny, barrier-heavy work of gradient checks then crawls on an
// oversubscribed machine (40x slower on 2 busy cores). The suites run on one
// thread unless OMP_NUM_THREADS asks otherwise.
#include <cstdlib>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace {

struct OneThreadByDefault {
  OneThreadByDefault() {
#ifdef _OPENMP
    if (std::getenv("OMP_NUM_THREADS") == nullptr) omp_set_num_threads(1);
#endif
  }
};

const OneThreadByDefault one_thread_by_default;

}  // namespace
