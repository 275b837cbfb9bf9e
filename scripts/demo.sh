#!/usr/bin/env bash
# make demo: from image folders to a trained LeNet, with no download.
#   bash scripts/demo.sh [BUILD_DIR]
# 1. renders digit images into data/generated/digits/{train,test}/<digit>/
# 2. converts both folders to LMDBs with convert_imageset (folder mode)
# 3. computes the mean image of the training set
# 4. trains LeNet (models/lenet/lenet_digits_solver.prototxt) with tools/train
#    (PRECISION=bf16 in the environment trains in bf16: make demo PRECISION=bf16)
# The last line of output states the final test accuracy. Everything it
# writes is under data/generated/, which it clears first, so it can be rerun.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
BUILD_DIR="${1:-build}"
TOOLS="$BUILD_DIR/tools"
OUT="data/generated"
SOLVER="models/lenet/lenet_digits_solver.prototxt"
# Sizes the nets in models/lenet/lenet_digits_*.prototxt are set up for.
TRAIN_PER_CLASS=1000
TEST_PER_CLASS=200

for tool in generate_digits convert_imageset compute_image_mean train; do
  if [ ! -x "$TOOLS/$tool" ]; then
    echo "demo: $TOOLS/$tool not found; build crema first (make build)." >&2
    exit 1
  fi
done

start=$(date +%s)
step() { echo; echo "== $* (at $(( $(date +%s) - start )) s)"; }

step "Clearing $OUT"
rm -rf "$OUT/digits" "$OUT"/digits_train_lmdb "$OUT"/digits_test_lmdb \
       "$OUT"/digits_mean.binaryproto "$OUT"/lenet_digits_iter_* "$OUT"/lenet_digits_train.log
mkdir -p "$OUT"

step "Rendering digit images"
"$TOOLS/generate_digits" --train_per_class=$TRAIN_PER_CLASS \
  --test_per_class=$TEST_PER_CLASS --seed=1 "$OUT/digits"

step "Converting image folders to LMDB"
"$TOOLS/convert_imageset" --gray --shuffle "$OUT/digits/train" "$OUT/digits_train_lmdb" \
  | grep -v '^Processed' || true
"$TOOLS/convert_imageset" --gray "$OUT/digits/test" "$OUT/digits_test_lmdb" \
  | grep -v '^Processed' || true
for db in "$OUT/digits_train_lmdb" "$OUT/digits_test_lmdb"; do
  [ -f "$db/data.mdb" ] || { echo "demo: conversion failed: no $db" >&2; exit 1; }
done

step "Computing the mean image"
"$TOOLS/compute_image_mean" "$OUT/digits_train_lmdb" "$OUT/digits_mean.binaryproto"

step "Training LeNet ($SOLVER); full log in $OUT/lenet_digits_train.log"
LOG="$OUT/lenet_digits_train.log"
set +e
"$TOOLS/train" --solver="$SOLVER" ${PRECISION:+--precision="$PRECISION"} 2>&1 | tee "$LOG" \
  | grep --line-buffered -E 'Iteration [0-9]+, (loss|Testing)|Test net output|Optimization Done|Snapshotting to binary proto file .*caffemodel|rror' \
  | sed -u -E 's/^[IWEF][0-9]{8} [0-9:.]+ +[0-9]+ [^]]+\] //'
status=${PIPESTATUS[0]}
set -e
if [ "$status" -ne 0 ]; then
  echo "demo: training failed (exit $status); see $LOG" >&2
  exit "$status"
fi

accuracy=$(grep -E 'Test net output #[0-9]+: accuracy = ' "$LOG" | tail -n 1 \
           | sed -E 's/.*accuracy = ([0-9.eE+-]+).*/\1/')
if [ -z "$accuracy" ]; then
  echo "demo: no test accuracy in $LOG" >&2
  exit 1
fi
echo
echo "Demo finished in $(( $(date +%s) - start )) s; weights in $OUT/lenet_digits_iter_*.caffemodel"
awk -v a="$accuracy" -v p="${PRECISION:-fp32}" \
  'BEGIN { printf "LeNet test accuracy on generated digits (%s): %.2f%%\n", p, 100 * a }'
