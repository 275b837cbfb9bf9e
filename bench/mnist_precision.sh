#!/usr/bin/env bash
# LeNet on real MNIST in fp32, bf16 and int8. Trains LeNet with Caffe's
# standard solver (models/lenet/lenet_solver.prototxt, 10,000 iterations)
# once in fp32 and once in bf16 (train --precision=bf16), then scores on
# all 10,000 test images:
#   - the fp32-trained weights in fp32, in bf16, and in int8, calibrated by
#     tools/calibrate on 10 batches of the training set (not the images it
#     is scored on) with each method: percentile, mse and maxabs;
#   - the bf16-trained weights in fp32 and in bf16.
# Prints one table; each accuracy's difference from the fp32 one.
#
#   bash bench/mnist_precision.sh [BUILD_DIR]     (BUILD_DIR defaults to build)
#   MNIST_ITERATIONS=N: train N iterations instead of the solver's 10,000.
#
# The MNIST idx files come from $CREMA_SHARED_DIR/data/mnist (default
# ../shared/data/mnist next to the repository), as for bench/mnist.sh. Logs,
# snapshots and calibration files go to BUILD_DIR/bench/mnist_precision/.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BUILD_DIR=${1:-build}
SHARED=${CREMA_SHARED_DIR:-$ROOT/../shared}
OUT="$BUILD_DIR/bench/mnist_precision"
ITERATIONS=${MNIST_ITERATIONS:-10000}
SOLVER=models/lenet/lenet_solver.prototxt
NET=models/lenet/lenet_train_test.prototxt
for tool in train test calibrate; do
  if [ ! -x "$BUILD_DIR/tools/$tool" ]; then
    echo "bench/mnist_precision: $BUILD_DIR/tools/$tool not found; build crema first (make build)." >&2
    exit 1
  fi
done
if [ -d "$SHARED/data/mnist" ]; then
  BUILD_DIR="$BUILD_DIR" bash data/mnist/get_mnist.sh "$SHARED/data/mnist" >/dev/null
else
  echo "bench/mnist_precision: $SHARED/data/mnist not found; downloading MNIST."
  BUILD_DIR="$BUILD_DIR" bash data/mnist/get_mnist.sh >/dev/null
fi
rm -rf "$OUT"
mkdir -p "$OUT"

# train PRECISION: LeNet trained in PRECISION; its weights at $OUT/PRECISION/.
train() {
  local p=$1
  mkdir -p "$OUT/$p"
  sed -E -e "s|^snapshot_prefix:.*|snapshot_prefix: \"$OUT/$p/lenet\"|" \
    -e "s|^max_iter:.*|max_iter: $ITERATIONS|" -e "s|^snapshot:.*|snapshot: $ITERATIONS|" \
    "$SOLVER" > "$OUT/$p/solver.prototxt"
  echo "Training LeNet on MNIST in $p (log: $OUT/$p/train.log)"
  if ! "$BUILD_DIR/tools/train" --solver="$OUT/$p/solver.prototxt" --precision="$p" \
       >"$OUT/$p/train.log" 2>&1; then
    echo "bench/mnist_precision: training in $p failed; see $OUT/$p/train.log" >&2
    tail -5 "$OUT/$p/train.log" >&2
    exit 1
  fi
}

# score WEIGHTS PRECISION [CALIBRATION]: test accuracy over the 10,000 test images.
score() {
  local weights=$1 p=$2 calibration=${3:-} log
  log="$OUT/test_$(basename "$(dirname "$weights")")_$p${calibration:+_$(basename "$calibration" .prototxt)}.log"
  if ! "$BUILD_DIR/tools/test" --model="$NET" --weights="$weights" --iterations=100 \
       --precision="$p" ${calibration:+--calibration="$calibration"} >"$log" 2>&1; then
    echo "bench/mnist_precision: scoring failed; see $log" >&2
    tail -5 "$log" >&2
    exit 1
  fi
  grep -E 'accuracy = ' "$log" | tail -n 1 | sed -E 's/.*accuracy = ([0-9.eE+-]+).*/\1/'
}

train fp32
train bf16
fp32_weights="$OUT/fp32/lenet_iter_$ITERATIONS.caffemodel"
bf16_weights="$OUT/bf16/lenet_iter_$ITERATIONS.caffemodel"
for method in percentile mse maxabs; do
  "$BUILD_DIR/tools/calibrate" --model="$NET" --weights="$fp32_weights" --iterations=10 \
    --data=data/mnist/mnist_train_lmdb \
    --method="$method" --output="$OUT/$method.prototxt" >"$OUT/calibrate_$method.log" 2>&1
done

reference=$(score "$fp32_weights" fp32)
row() {
  awk -v what="$1" -v a="$2" -v r="$reference" \
    'BEGIN { printf "%-44s %7.2f%% %+7.2f\n", what, 100 * a, 100 * (a - r) }'
}
fell_back=""
grep -q "not supported by this CPU" "$OUT"/*.log 2>/dev/null && fell_back=" (this CPU lacks bf16/int8: those rows ran fp32)"
printf '%-44s %8s %7s\n' "LeNet on MNIST ($ITERATIONS iterations)" accuracy "vs fp32"
row "trained fp32, scored fp32" "$reference"
row "trained fp32, scored bf16" "$(score "$fp32_weights" bf16)"
row "trained fp32, scored int8 (percentile)" "$(score "$fp32_weights" int8 "$OUT/percentile.prototxt")"
row "trained fp32, scored int8 (mse)" "$(score "$fp32_weights" int8 "$OUT/mse.prototxt")"
row "trained fp32, scored int8 (maxabs)" "$(score "$fp32_weights" int8 "$OUT/maxabs.prototxt")"
row "trained bf16, scored fp32" "$(score "$bf16_weights" fp32)"
row "trained bf16, scored bf16" "$(score "$bf16_weights" bf16)"
echo "differences in percentage points$fell_back"
