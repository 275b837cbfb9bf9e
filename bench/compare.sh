#!/usr/bin/env bash
# Times the same benchmark cases with two builds of crema, alternating
# between them so both see the same machine: a before/after check for a
# change. Prints each build's median ms/iteration (the median of ROUNDS
# medians, each over ITERS timed iterations) and peak resident memory, and
# the ratio after/before.
#
# Usage: bench/compare.sh BEFORE_BUILD AFTER_BUILD
#        (env: OMP_NUM_THREADS, COMPARE_ROUNDS (3), BENCH_ITERS (3),
#         BENCH_INFER_ITERS (20), BENCH_ONLY=regex, COMPARE_ENGINES="CAFFE DNNL")
set -uo pipefail
BEFORE=${1:?usage: bench/compare.sh BEFORE_BUILD AFTER_BUILD}
AFTER=${2:?usage: bench/compare.sh BEFORE_BUILD AFTER_BUILD}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
ROUNDS=${COMPARE_ROUNDS:-3}
ITERS=${BENCH_ITERS:-3}
INFER_ITERS=${BENCH_INFER_ITERS:-20}
ONLY=${BENCH_ONLY:-.}
ENGINES=${COMPARE_ENGINES:-CAFFE DNNL}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-$(nproc)}
export GLOG_minloglevel=2
for b in "$BEFORE" "$AFTER"; do
  [ -x "$b/tools/time" ] || { echo "compare: $b/tools/time not built" >&2; exit 1; }
done
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# run BUILD OUT FLAGS...: one timing run; prints "ms peak_MB".
run() {
  local build=$1 out=$2; shift 2
  /usr/bin/time -f 'PEAKRSS %M' "$build/tools/time" "$@" >"$out" 2>"$out.err" || return 1
  local ms rss
  ms=$(sed -n 's/^Median iteration[^0-9]*\([0-9.]*\).*/\1/p' "$out" | head -1)
  rss=$(sed -n 's/^PEAKRSS \([0-9]*\)/\1/p' "$out.err" | tail -1)
  echo "$ms $((rss / 1024))"
}
median() { sort -n | awk '{v[NR] = $1} END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }

printf '%-18s %-6s %12s %12s %8s %10s %10s\n' work engine before_ms after_ms ratio before_MB after_MB
for c in "LeNet_b64_train lenet 64 train" "AlexNet_b16_train alexnet 16 train" \
         "VGG16_b4_train vgg16 4 train" "AlexNet_b1_infer alexnet 1 infer" \
         "VGG16_b1_infer vgg16 1 infer"; do
  read -r name model batch mode <<<"$c"
  [[ $name =~ $ONLY ]] || continue
  iters=$ITERS; [ "$mode" = infer ] && iters=$INFER_ITERS
  flags=(--model="$ROOT/models/$model/deploy.prototxt" --batch="$batch" --iterations="$iters")
  [ "$mode" = infer ] && flags+=(--phase=TEST --forward_only)
  for engine in $ENGINES; do
    : >"$TMP/before"; : >"$TMP/after"
    for ((r = 0; r < ROUNDS; ++r)); do
      run "$BEFORE" "$TMP/out" "${flags[@]}" --engine="$engine" >>"$TMP/before"
      run "$AFTER" "$TMP/out" "${flags[@]}" --engine="$engine" >>"$TMP/after"
    done
    b=$(cut -d' ' -f1 "$TMP/before" | median); a=$(cut -d' ' -f1 "$TMP/after" | median)
    bm=$(cut -d' ' -f2 "$TMP/before" | median); am=$(cut -d' ' -f2 "$TMP/after" | median)
    awk -v n="$name" -v e="$engine" -v b="$b" -v a="$a" -v bm="$bm" -v am="$am" \
      'BEGIN { printf "%-18s %-6s %12.1f %12.1f %7.3fx %10s %10s\n", n, e, b, a, (b > 0 ? a / b : 0), bm, am }'
  done
done
echo "threads: $OMP_NUM_THREADS; $ROUNDS alternating rounds of $ITERS iterations ($INFER_ITERS for batch-1 inference); ratio = after / before ms (below 1 is faster)"
