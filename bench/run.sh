#!/usr/bin/env bash
# `make bench`: times the benchmark nets with crema's reference engine
# (CAFFE) and the oneDNN engine (DNNL), and, when available, PyTorch
# (Debian's python3-torch) and OpenCV's dnn module, all with the same number
# of threads, and prints one table. Every figure is the median of
# BENCH_ITERS (default 3) timed iterations after one warm-up
# (BENCH_INFER_ITERS, default 20, for batch-1 inference). Then
# bench/mpi.sh times data-parallel training over MPI (BENCH_ONLY=MPI runs
# only that part).
#
# Usage: bench/run.sh BUILD_DIR      (env: OMP_NUM_THREADS, BENCH_ITERS, BENCH_INFER_ITERS,
#                                     BENCH_NO_TORCH=1, BENCH_ONLY=regex)
set -uo pipefail
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TIME_TOOL=$BUILD/tools/time
ITERS=${BENCH_ITERS:-3}
# Batch-1 inference passes take milliseconds and vary most from pass to
# pass (memory bandwidth): their medians take more of them.
INFER_ITERS=${BENCH_INFER_ITERS:-$((ITERS > 20 ? ITERS : 20))}
THREADS=${OMP_NUM_THREADS:-$(nproc)}
export OMP_NUM_THREADS=$THREADS
export GLOG_minloglevel=2
ONLY=${BENCH_ONLY:-.}
[ -x "$TIME_TOOL" ] || { echo "bench: $TIME_TOOL not built" >&2; exit 1; }

PY=/usr/bin/python3
HAVE_TORCH=0
if [ "${BENCH_NO_TORCH:-0}" != 1 ]; then
  if ! $PY -c 'import torch' 2>/dev/null; then
    echo "bench: installing python3-torch for the PyTorch comparison" >&2
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
      --no-install-recommends python3-torch >/dev/null 2>&1 || true
  fi
  $PY -c 'import torch' 2>/dev/null && HAVE_TORCH=1
fi
OPENCV_BENCH=$BUILD/bench/opencv_dnn_bench

# field NAME FILE: the number after "NAME" in a tool's output.
field() { sed -n "s/^$1[^0-9]*\([0-9.]*\).*/\1/p" "$2" | head -1; }
# Peak RSS in MB of a command (GNU time if present, else the tool's own).
run_timed() {
  local out=$1; shift
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -f 'PEAKRSS %M' "$@" >"$out" 2>"$out.err"
    sed -n 's/^PEAKRSS \([0-9]*\)/Peak resident memory: \1/p' "$out.err" |
      awk '{printf "Peak resident memory: %.1f MB\n", $4 / 1024}' >>"$out"
  else
    "$@" >"$out" 2>"$out.err"
  fi
}

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
ROWS=()
# name model batch mode(train|infer)
CASES=(
  "LeNet_b64_train lenet 64 train"
  "AlexNet_b16_train alexnet 16 train"
  "VGG16_b4_train vgg16 4 train"
  "AlexNet_b1_infer alexnet 1 infer"
  "VGG16_b1_infer vgg16 1 infer"
)
SGEMM=$BUILD/bench/sgemm_ceiling
CEILING=""
if [ -x "$SGEMM" ]; then
  CEILING=$("$SGEMM" 3 | sed -n 's/^SGEMM ceiling: \([0-9.]*\).*/\1/p')
  echo "SGEMM ceiling (OpenBLAS, $THREADS threads): ${CEILING:-?} GFLOP/s"
fi
# Peak RSS of the tool on a tiny net: libraries and runtime, not the net.
BASELINE_RSS=""
run_timed "$TMP/baseline" "$TIME_TOOL" --model="$ROOT/models/lenet/deploy.prototxt" \
  --batch=1 --iterations=1 --phase=TEST --forward_only
BASELINE_RSS=$(sed -n 's/^Peak resident memory: \([0-9.]*\).*/\1/p' "$TMP/baseline" | tail -1)
NOTES=()
printf '%-18s %-9s %10s %10s %9s %9s %10s\n' work engine ms/iter images/s GFLOP/s vs_ref peak_MB
for c in "${CASES[@]}"; do
  read -r name model batch mode <<<"$c"
  [[ $name =~ $ONLY ]] || continue
  proto=$ROOT/models/$model/deploy.prototxt
  iters=$ITERS
  [ "$mode" = infer ] && iters=$INFER_ITERS
  flags=(--model="$proto" --batch="$batch" --iterations="$iters")
  if [ "$mode" = infer ]; then flags+=(--phase=TEST --forward_only); fi
  declare -A ms=() gflop=() rss=()
  params=""
  for engine in CAFFE DNNL; do
    out=$TMP/$name.$engine
    run_timed "$out" "$TIME_TOOL" "${flags[@]}" --engine=$engine
    if ! grep -q "Median iteration" "$out"; then
      echo "bench: $name with $engine failed:" >&2; tail -3 "$out.err" >&2; continue
    fi
    ms[$engine]=$(field "Median iteration" "$out")
    gflop[$engine]=$(sed -n 's/^Compute: \([0-9.]*\) GFLOP.*/\1/p' "$out")
    rss[$engine]=$(sed -n 's/^Peak resident memory: \([0-9.]*\).*/\1/p' "$out" | tail -1)
    params=$(sed -n 's/^Learnable parameters: .*(\([0-9]*\))/\1/p' "$out")
    conv=$(sed -n 's/^Convolution layers: \([0-9.]*\) ms.*, \([0-9.]*\) GFLOP.*/\1 \2/p' "$out")
    if [ -n "$conv" ] && [ -n "$CEILING" ] && [ "$mode" = train ]; then
      NOTES+=("$(awk -v n="$name" -v e="$engine" -v c="$conv" -v s="$CEILING" 'BEGIN {
        split(c, f, " "); printf "%-18s %s convolutions: %.1f ms, %.1f GFLOP/s = %.0f%% of the SGEMM ceiling", n, e, f[1], f[2], 100 * f[2] / s }')")
    fi
    mem=$(sed -n 's/^Weights: \([0-9.]*\) MB.*largest blob \([0-9.]*\) MB.*/\1 \2/p' "$out")
    if [ "$mode" = infer ] && [ -n "$mem" ]; then
      NOTES+=("$(awk -v n="$name" -v e="$engine" -v m="$mem" -v r="${rss[$engine]:-0}" -v b="${BASELINE_RSS:-0}" 'BEGIN {
        split(m, f, " "); bound = f[1] + 3 * f[2];
        printf "%-18s %s memory: peak %.0f MB - %.0f MB runtime baseline = %.0f MB; weights %.0f MB + 3 x largest activation %.1f MB = %.0f MB (%s)",
          n, e, r, b, r - b, f[1], f[2], bound, (r - b <= bound ? "within" : "over") }')")
    fi
  done
  if [ $HAVE_TORCH = 1 ]; then
    out=$TMP/$name.torch
    run_timed "$out" $PY "$ROOT/bench/torch_models.py" "$model" "$batch" "$mode" \
      "$iters" "$THREADS" "$params"
    if grep -q "Median iteration" "$out"; then
      ms[PyTorch]=$(field "Median iteration" "$out")
      gflop[PyTorch]=${gflop[CAFFE]:-0}
      rss[PyTorch]=$(sed -n 's/^Peak resident memory: \([0-9.]*\).*/\1/p' "$out" | tail -1)
      variant=$(sed -n 's/^Best variant: //p' "$out")
    else
      echo "bench: PyTorch $name failed:" >&2; tail -3 "$out.err" >&2
    fi
  fi
  if [ "$model" = alexnet ] && [ "$mode" = infer ] && [ -x "$OPENCV_BENCH" ]; then
    out=$TMP/$name.opencv
    run_timed "$out" "$OPENCV_BENCH" "$proto" "$iters" "$THREADS"
    if grep -q "Median iteration" "$out"; then
      ms[OpenCV]=$(field "Median iteration" "$out")
      gflop[OpenCV]=${gflop[CAFFE]:-0}
      rss[OpenCV]=$(sed -n 's/^Peak resident memory: \([0-9.]*\).*/\1/p' "$out" | tail -1)
    fi
  fi
  for engine in CAFFE DNNL PyTorch OpenCV; do
    [ -n "${ms[$engine]:-}" ] || continue
    label=$engine; [ "$engine" = CAFFE ] && label=crema-ref; [ "$engine" = DNNL ] && label=crema-DNNL
    [ "$engine" = PyTorch ] && [ -n "${variant:-}" ] && [ "$mode" = infer ] && label="torch:$variant"
    awk -v n="$name" -v e="$label" -v m="${ms[$engine]}" -v b="$batch" \
        -v g="${gflop[$engine]:-0}" -v r="${ms[CAFFE]:-0}" -v rss="${rss[$engine]:-?}" \
      'BEGIN { printf "%-18s %-9s %10.1f %10.1f %9.1f %8.2fx %10s\n", n, e, m,
               b * 1000 / m, g * 1000 / m, (r > 0 ? r / m : 0), rss }'
  done
  if [ -n "${ms[DNNL]:-}" ]; then
    for peer in PyTorch OpenCV; do
      [ -n "${ms[$peer]:-}" ] || continue
      awk -v n="$name" -v p="$peer" -v d="${ms[DNNL]}" -v t="${ms[$peer]}" \
        'BEGIN { printf "%-18s speed of crema-DNNL / %s: %.2fx\n", n, p, t / d }'
    done
  fi
  unset ms gflop rss; variant=""
done
for note in "${NOTES[@]}"; do echo "$note"; done
echo "threads: $THREADS; iterations per median: $ITERS (batch-1 inference: $INFER_ITERS); vs_ref = reference ms / this ms"
[[ Python =~ $ONLY ]] && BENCH_INFER_ITERS=$INFER_ITERS bash "$ROOT/bench/python_overhead.sh" "$BUILD"

# Data-parallel training (docs/distributed.md): 1 process x 2 threads versus
# 2 MPI ranks x 1 thread. bench/mpi.sh says itself when MPI is not built.
if [[ MPI =~ $ONLY ]]; then
  # It reads the training log, which GLOG_minloglevel=2 above would silence.
  env -u GLOG_minloglevel bash "$ROOT/bench/mpi.sh" "$BUILD" ||
    echo "bench: bench/mpi.sh failed" >&2
fi

# Fast R-CNN on generated shapes (models/fast_rcnn_shapes): the full solver
# run; it must reach the mAP its README states.
if [[ FAST_RCNN =~ $ONLY ]]; then
  "$BUILD/tools/fast_rcnn_shapes" --min_map=0.85 ||
    echo "bench: the Fast R-CNN shapes demo failed or fell short of its mAP" >&2
fi

# Reduced precision: fp32 vs bf16 vs int8, and the hardware peaks.
if [[ PREC =~ $ONLY ]]; then
  env -u GLOG_minloglevel bash "$ROOT/bench/precision.sh" "$BUILD" ||
    echo "bench: bench/precision.sh failed" >&2
fi
