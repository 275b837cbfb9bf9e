#!/usr/bin/env bash
# fp32 vs bf16 vs int8 in one run (called by bench/run.sh; BENCH_ONLY=PREC
# runs only this part): inference of AlexNet b1/b16 and VGG16 b1, bf16
# training of AlexNet b16 and VGG16 b4, and the hardware peaks measured by
# bench/isa_peak.cpp in the same run. Times are tools/time's medians with the
# DNNL engine; int8 uses ranges from one fp32 pass over the timing input.
# The _train rows are a forward and backward pass (Caffe's `time`); the
# _step rows add the weight update a solver step ends with (time --update).
#
# Usage: bench/precision.sh BUILD_DIR
#   (env: OMP_NUM_THREADS, BENCH_ITERS, BENCH_INFER_ITERS, BENCH_PREC_ROUNDS,
#    BENCH_PREC_ONLY=regex of rows, BENCH_PREC_PROFILE=1 for per-layer times)
set -u
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TIME_TOOL=$BUILD/tools/time
ITERS=${BENCH_ITERS:-3}
INFER_ITERS=${BENCH_INFER_ITERS:-20}
ROUNDS=${BENCH_PREC_ROUNDS:-3}  # training rows: alternating runs per precision
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-$(nproc)}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

if g++ -O2 -fopenmp -o "$TMP/isa_peak" "$ROOT/bench/isa_peak.cpp" 2>"$TMP/cc.err"; then
  "$TMP/isa_peak"
else
  echo "bench: isa_peak did not build:"; tail -3 "$TMP/cc.err"
fi

# name model batch mode precisions
CASES=(
  "AlexNet_b1_infer alexnet 1 infer fp32,bf16,int8"
  "AlexNet_b16_infer alexnet 16 infer fp32,bf16,int8"
  "VGG16_b1_infer vgg16 1 infer fp32,bf16,int8"
  "AlexNet_b16_train alexnet 16 train fp32,bf16"
  "AlexNet_b16_step alexnet 16 step fp32,bf16"
  "VGG16_b4_train vgg16 4 train fp32,bf16"
)
printf '%-18s %-6s %10s %9s\n' work prec ms/iter vs_fp32
median() { tr ' ' '\n' | grep . | sort -g | awk '{v[NR] = $1} END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
for c in "${CASES[@]}"; do
  read -r name model batch mode precisions <<<"$c"
  [[ $name =~ ${BENCH_PREC_ONLY:-.} ]] || continue
  flags=(--model="$ROOT/models/$model/deploy.prototxt" --batch="$batch" --engine=DNNL)
  rounds=1
  if [ "$mode" = infer ]; then
    flags+=(--phase=TEST --forward_only --iterations="$INFER_ITERS")
  else
    # Training times drift with the machine: the precisions take turns, and
    # each row is the median of its rounds.
    rounds=$ROUNDS
    flags+=(--iterations="$ITERS")
    [ "$mode" = step ] && flags+=(--update)  # forward, backward and the weight update
  fi
  declare -A times=() labels=()
  for ((r = 0; r < rounds; r++)); do
    for p in ${precisions//,/ }; do
      out=$TMP/$name.$p
      "$TIME_TOOL" "${flags[@]}" --precision="$p" >"$out" 2>&1
      ms=$(sed -n 's/^Median iteration[^0-9]*\([0-9.]*\).*/\1/p' "$out" | head -1)
      if [ -z "$ms" ]; then echo "bench: $name $p failed:"; tail -3 "$out"; continue; fi
      times[$p]+=" $ms"
      labels[$p]=$p
      grep -q "not supported by this CPU" "$out" && labels[$p]="$p(fell back to fp32)"
    done
  done
  fp32=""
  for p in ${precisions//,/ }; do
    [ -n "${times[$p]:-}" ] || continue
    ms=$(echo "${times[$p]}" | median)
    [ -z "$fp32" ] && fp32=$ms
    awk -v n="$name" -v p="${labels[$p]}" -v m="$ms" -v f="$fp32" \
      'BEGIN { printf "%-18s %-6s %10.2f %8.2fx\n", n, p, m, m / f }'
    [ "$rounds" -gt 1 ] && echo "  rounds (ms):${times[$p]}"
    [ -n "${BENCH_PREC_PROFILE:-}" ] && grep -E "(forward|backward): [0-9.]+ ms" "$TMP/$name.$p" | sed "s/^.*\] *//"
  done
  unset times labels
done
echo "threads: $OMP_NUM_THREADS; vs_fp32 = this time / fp32 time (lower is faster)"
