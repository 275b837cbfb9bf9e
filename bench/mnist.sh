#!/usr/bin/env bash
# LeNet on real MNIST with Caffe's standard solver: final test accuracy and
# wall time (the target is >= 99.0% after 10,000 iterations).
#   bash bench/mnist.sh [BUILD_DIR]
# The MNIST idx files come from $CREMA_SHARED_DIR/data/mnist (default
# ../shared/data/mnist next to the repository); without them
# data/mnist/get_mnist.sh downloads them. The run's log and snapshots go to
# BUILD_DIR/bench/mnist/; the repository's files are left as they are.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
BUILD_DIR="$(cd "${1:-build}" && pwd)"
SHARED="${CREMA_SHARED_DIR:-$ROOT/../shared}"
OUT="$BUILD_DIR/bench/mnist"
SOLVER="models/lenet/lenet_solver.prototxt"

if [ ! -x "$BUILD_DIR/tools/train" ]; then
  echo "bench/mnist: $BUILD_DIR/tools/train not found; build crema first (make build)." >&2
  exit 1
fi

start=$(date +%s.%N)
if [ -d "$SHARED/data/mnist" ]; then
  BUILD_DIR="$BUILD_DIR" bash data/mnist/get_mnist.sh "$SHARED/data/mnist"
else
  echo "bench/mnist: $SHARED/data/mnist not found; downloading MNIST."
  BUILD_DIR="$BUILD_DIR" bash data/mnist/get_mnist.sh
fi

# The standard solver, with snapshots kept out of the source tree.
rm -rf "$OUT"
mkdir -p "$OUT"
sed -E "s|^snapshot_prefix:.*|snapshot_prefix: \"$OUT/lenet\"|" "$SOLVER" > "$OUT/lenet_solver.prototxt"

echo "Training LeNet on MNIST with $SOLVER (log: $OUT/train.log)"
train_start=$(date +%s.%N)
set +e
"$BUILD_DIR/tools/train" --solver="$OUT/lenet_solver.prototxt" 2>&1 | tee "$OUT/train.log" \
  | grep --line-buffered -E 'Iteration [0-9]+, Testing|Test net output #0|Optimization|rror'
status=${PIPESTATUS[0]}
set -e
end=$(date +%s.%N)
if [ "$status" -ne 0 ]; then
  echo "bench/mnist: training failed (exit $status); see $OUT/train.log" >&2
  exit "$status"
fi

accuracy=$(grep -E 'Test net output #[0-9]+: accuracy = ' "$OUT/train.log" | tail -n 1 \
           | sed -E 's/.*accuracy = ([0-9.eE+-]+).*/\1/')
iterations=$(grep -E '^max_iter:' "$SOLVER" | awk '{print $2}')
awk -v a="$accuracy" -v it="$iterations" -v t0="$start" -v t1="$train_start" -v t2="$end" \
  -v cores="$(nproc)" 'BEGIN {
  printf "MNIST LeNet, %d iterations of batch 64 on %d cores: test accuracy %.2f%%, " \
         "training wall time %.0f s (with data preparation %.0f s)\n",
         it, cores, 100 * a, t2 - t1, t2 - t0 }' | tee "$OUT/result.txt"
