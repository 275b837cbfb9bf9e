# Shared set-up for the MPI tests (sourced). Arguments of every test:
#   TOOLS_DIR COMPARE_WEIGHTS MPIEXEC
# Exit status 77 tells ctest the test was skipped.
set -euo pipefail

TOOLS=$(cd "$1" && pwd)
COMPARE=$2
MPIEXEC=$3
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

if [ ! -x "$MPIEXEC" ] && ! command -v "$MPIEXEC" >/dev/null 2>&1; then
  echo "SKIPPED: no mpirun ($MPIEXEC)"
  exit 77
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/crema_mpi_test.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# One BLAS thread per process: the tests start two processes on small machines.
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1

# run_mpi NP ARGS...: mpirun as the tests need it (root, oversubscribed, no binding).
run_mpi() {
  local np=$1
  shift
  "$MPIEXEC" --allow-run-as-root --oversubscribe --bind-to none -np "$np" \
    -x OPENBLAS_NUM_THREADS -x OMP_NUM_THREADS "$@"
}

# make_digits TRAIN_PER_CLASS TEST_PER_CLASS: $WORK/train_lmdb, $WORK/test_lmdb.
make_digits() {
  "$TOOLS/generate_digits" --train_per_class="$1" --test_per_class="$2" --seed=3 \
    "$WORK/digits" >/dev/null
  "$TOOLS/convert_imageset" --gray "$WORK/digits/train" "$WORK/train_lmdb" >/dev/null 2>&1
  "$TOOLS/convert_imageset" --gray "$WORK/digits/test" "$WORK/test_lmdb" >/dev/null 2>&1
}

# write_solver DIR BATCH MAX_ITER SNAPSHOT [PREFIX] [EXTRA]: DIR/solver.prototxt
# training LeNet with BATCH per process; snapshots go to PREFIX (default
# DIR/lenet).
write_solver() {
  local dir=$1 batch=$2 max_iter=$3 snapshot=$4 prefix=${5:-$1/lenet} extra=${6:-}
  mkdir -p "$dir"
  sed -e "s|@TRAIN@|$WORK/train_lmdb|" -e "s|@TEST@|$WORK/test_lmdb|" \
    -e "s|@BATCH@|$batch|" "$HERE/lenet.prototxt" >"$dir/net.prototxt"
  cat >"$dir/solver.prototxt" <<SOLVER
net: "$dir/net.prototxt"
base_lr: 0.01
momentum: 0.9
weight_decay: 0.0005
lr_policy: "inv"
gamma: 0.0001
power: 0.75
display: 10
max_iter: $max_iter
snapshot: $snapshot
snapshot_prefix: "$prefix"
random_seed: 7
$extra
SOLVER
}

# The last value of a log line "... NAME = VALUE".
last_value() {
  grep -o "$1 = [0-9.e+-]*" "$2" | tail -1 | awk '{print $NF}'
}
