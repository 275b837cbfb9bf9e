#!/usr/bin/env bash
# The job ends cleanly when rank 0's final test takes longer than the MPI
# timeout: the other ranks wait for it (answering liveness checks) before
# they shut MPI down, instead of timing out in MPI_Finalize.
source "$(dirname "$0")/common.sh"

make_digits 20 5
# No periodic test: only the final one, long (400 batches of 50) next to a
# 1 s timeout; the final snapshot is written too.
test_settings='test_iter: 400
test_interval: 20
test_initialization: false'
write_solver "$WORK/run" 16 20 0 "$WORK/run/lenet" "$test_settings"

rc=0
timeout 150 "$MPIEXEC" --allow-run-as-root --oversubscribe --bind-to none -np 2 \
  -x OPENBLAS_NUM_THREADS -x OMP_NUM_THREADS \
  "$TOOLS/train" --solver="$WORK/run/solver.prototxt" --mpi_timeout=1 \
  >"$WORK/train.log" 2>&1 || rc=$?
if [ "$rc" -ne 0 ]; then
  echo "FAILED: the job ended with status $rc"
  cat "$WORK/train.log"
  exit 1
fi
grep -q "Test net output #0" "$WORK/train.log" ||
  { echo "FAILED: no final test result"; cat "$WORK/train.log"; exit 1; }
grep -q "Optimization Done" "$WORK/train.log" ||
  { echo "FAILED: no 'Optimization Done'"; cat "$WORK/train.log"; exit 1; }
[ -f "$WORK/run/lenet_iter_20.caffemodel" ] ||
  { echo "FAILED: no final snapshot"; exit 1; }
if grep -q "did not finish in time" "$WORK/train.log"; then
  echo "FAILED: a rank's watchdog fired"
  cat "$WORK/train.log"
  exit 1
fi

# How long the final test took, from glog's time stamps (HH:MM:SS.micro).
seconds_of() {
  grep "$1" "$WORK/train.log" | tail -1 |
    awk '{ split($2, t, ":"); print t[1] * 3600 + t[2] * 60 + t[3] }'
}
start=$(seconds_of "Iteration 20, Testing net")
end=$(seconds_of "Test net output #0")
took=$(awk -v a="$start" -v b="$end" 'BEGIN { d = b - a; if (d < 0) d += 86400; printf "%.1f", d }')
echo "final test on rank 0 took $took s with --mpi_timeout=1"
if awk -v d="$took" 'BEGIN { exit !(d < 2.5) }'; then
  # Too fast to show that the others waited past their timeout.
  echo "SKIPPED: the final test took only $took s; this check needs more than 2.5 s"
  exit 77
fi
echo PASSED
