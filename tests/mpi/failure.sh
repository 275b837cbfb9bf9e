#!/usr/bin/env bash
# A rank that fails mid-training stops the job within bounded time, and the
# surviving rank's error names it: an error (the rank tells the others), a
# hang (the others time out and find the silent rank), an abrupt exit.
source "$(dirname "$0")/common.sh"

make_digits 20 2
write_solver "$WORK/run" 16 100000 0

# expect_failure NAME LIMIT_SECONDS PATTERN MODE [TRAIN FLAGS...]
expect_failure() {
  local name=$1 limit=$2 pattern=$3 mode=$4
  shift 4
  local log="$WORK/$name.log" start end rc=0
  start=$(date +%s)
  CREMA_MPI_TEST_FAIL_RANK=1 CREMA_MPI_TEST_FAIL_ITER=10 CREMA_MPI_TEST_FAIL_MODE=$mode \
    timeout 120 "$MPIEXEC" --allow-run-as-root --oversubscribe --bind-to none -np 2 \
    -x OPENBLAS_NUM_THREADS -x OMP_NUM_THREADS -x CREMA_MPI_TEST_FAIL_RANK \
    -x CREMA_MPI_TEST_FAIL_ITER -x CREMA_MPI_TEST_FAIL_MODE \
    "$TOOLS/train" --solver="$WORK/run/solver.prototxt" "$@" >"$log" 2>&1 || rc=$?
  end=$(date +%s)
  echo "== $name: exit status $rc after $((end - start)) s"
  grep -E "rank [0-9]+.*(error|failed|exiting|hanging)" "$log" | head -5 || true
  if [ "$rc" -eq 0 ] || [ "$rc" -eq 124 ]; then
    echo "FAILED: $name: the job did not stop with an error (status $rc)"
    cat "$log"
    exit 1
  fi
  if [ $((end - start)) -gt "$limit" ]; then
    echo "FAILED: $name: took $((end - start)) s, more than $limit"
    exit 1
  fi
  if ! grep -Eq "$pattern" "$log"; then
    echo "FAILED: $name: no line matching '$pattern'"
    cat "$log"
    exit 1
  fi
}

# Rank 1 throws at iteration 10; rank 0 learns it from rank 1's notice.
expect_failure error 30 "rank 0: error: rank 1 of 2 failed: failure injected" error
# Rank 1 hangs; rank 0 times out after 2 s, pings, and names rank 1 2 s later.
expect_failure hang 40 "rank 0: error: rank 1 of 2 failed: no answer" hang --mpi_timeout=2
# Rank 1 vanishes without a word; the launcher ends the job and names it.
expect_failure exit 40 "Process name: \[\[[0-9]+,[0-9]+\],1\]" exit --mpi_timeout=2
echo PASSED
