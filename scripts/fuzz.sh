#!/usr/bin/env bash
# make fuzz: builds crema's libFuzzer targets (fuzz/) with clang in their own
# build folder, runs each for FUZZ_SECONDS in one process, and prints a table
# of executions, crashes and coverage. Crashing inputs are minimised and kept
# under <build>/fuzz-work/crashes/<target>/ (copy them to
# tests/fuzz_regressions/<target>/ once fixed, so `make test` replays them).
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]     (FUZZ_BUILD_DIR, default build-fuzz)
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
SECONDS_EACH=${1:-60}
shift || true
BUILD=${FUZZ_BUILD_DIR:-build-fuzz}
WORK=$BUILD/fuzz-work
TARGETS=(net_prototxt solver_prototxt upgrade_net caffemodel binaryproto solverstate
         datum encoded_image hdf5 list_file classify_image)
[ $# -gt 0 ] && TARGETS=("$@")

# clang (with libFuzzer) is needed here only, so it is installed here only.
if ! command -v clang++ >/dev/null 2>&1; then
  echo "fuzz: installing clang (libFuzzer)"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get install -y clang || { echo "fuzz: cannot install clang" >&2; exit 1; }
fi
bash scripts/install_deps.sh || exit 1

if [ ! -f "$BUILD/CMakeCache.txt" ]; then
  LAUNCHER=""
  command -v ccache >/dev/null 2>&1 && LAUNCHER=-DCMAKE_CXX_COMPILER_LAUNCHER=ccache
  CXX=clang++ cmake -S . -B "$BUILD" -DCREMA_FUZZ=ON -DCREMA_BUILD_TESTS=OFF \
    -DCREMA_BUILD_TOOLS=OFF -DCREMA_WITH_DNNL=OFF -DCREMA_WITH_OPENMP=OFF \
    -DCREMA_WITH_MPI=OFF -DCREMA_NATIVE=OFF -DCMAKE_BUILD_TYPE=None \
    -DCMAKE_CXX_FLAGS=-O1 $LAUNCHER >/dev/null || exit 1
fi
cmake --build "$BUILD" -j "${JOBS:-$(nproc)}" || exit 1

# ---- corpora: generated seeds, plus the prototxt corpus when it is there ----
mkdir -p "$WORK"/{corpus,seeds,crashes,logs}
"$BUILD/fuzz/make_seeds" "$WORK/seeds" || exit 1
COMPAT=$ROOT/../shared/compat
add_seeds() {  # target, then files
  local t=$1; shift
  mkdir -p "$WORK/seeds/$t"
  for f in "$@"; do cp "$f" "$WORK/seeds/$t/$(echo "$f" | md5sum | cut -c1-12).prototxt"; done
}
if [ -d "$COMPAT" ]; then
  mapfile -t nets < <(find "$COMPAT" "$ROOT/models" -name '*.prototxt' ! -name '*solver*' ! -path '*legacy*')
  mapfile -t legacy < <(find "$COMPAT" -path '*legacy*' -name '*.prototxt' ! -name '*solver*')
  mapfile -t solvers < <(find "$COMPAT" "$ROOT/models" -name '*solver*.prototxt')
  add_seeds net_prototxt "${nets[@]}"
  add_seeds upgrade_net "${legacy[@]}"
  add_seeds solver_prototxt "${solvers[@]}"
else
  echo "fuzz: $COMPAT not found; fuzzing from generated seeds only"
fi

max_len() {
  case $1 in
    net_prototxt|upgrade_net) echo 65536 ;;
    # Encoded images: a few KB already reach every decoder and header check
    # (and announce images of millions of pixels); larger ones mostly cost time.
    list_file|binaryproto|encoded_image) echo 4096 ;;
    *) echo 16384 ;;
  esac
}

# ---- run ----
# A single allocation over 512 MB is reported as a crash: every reader must
# bound what it allocates by what the input holds. OpenCV's own limit on the
# pixels of a decoded image is lowered to 16 M pixels for the same reason.
#
# Each target runs in libFuzzer's fork mode: a crash, out-of-memory or
# timeout is kept as an artifact and the run goes on, so one finding does not
# end a target's time. FUZZ_WORKERS=N gives each target N worker processes;
# FUZZ_JOBS=N runs N targets at once. Every artifact is replayed afterwards and charged to
# the code of its first frame outside the sanitizers, libc and libFuzzer:
# crema's own, or a library it calls (libhdf5, OpenCV's codecs, ...).
export OPENCV_IO_MAX_IMAGE_PIXELS=16777216
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
asan_options() {
  # libhdf5 checks most of its mallocs for failure: an impossible size it
  # asks for is answered with NULL, as it would be outside the sanitizer.
  case $1 in
    hdf5) echo "detect_leaks=0:allocator_may_return_null=1" ;;
    *) echo "detect_leaks=0:allocator_may_return_null=0" ;;
  esac
}
FLAGS=(-timeout=10 -rss_limit_mb=2560 -malloc_limit_mb=512)

run_target() {
  local t=$1
  mkdir -p "$WORK/corpus/$t" "$WORK/crashes/$t"
  echo "fuzz: $t for ${SECONDS_EACH}s"
  ASAN_OPTIONS=$(asan_options "$t") "$BUILD/fuzz/$t" -fork="${FUZZ_WORKERS:-1}" -ignore_crashes=1 -ignore_ooms=1 \
    -ignore_timeouts=1 -max_total_time="$SECONDS_EACH" -max_len="$(max_len "$t")" "${FLAGS[@]}" \
    -artifact_prefix="$WORK/crashes/$t/" "$WORK/corpus/$t" "$WORK/seeds/$t" \
    >"$WORK/logs/$t.log" 2>&1
}

# The code an artifact crashes in: "crema" when a frame of crema's source
# comes first, else the first library (other than libc, libstdc++ and the
# loader) that a frame lies in; "none" when it does not crash again.
# Frames in the fuzz binary itself are sanitizer interceptors and libFuzzer.
blame() {
  local t=$1 artifact=$2
  ASAN_OPTIONS=$(asan_options "$t") "$BUILD/fuzz/$t" "${FLAGS[@]}" "$artifact" 2>&1 |
    awk -v binary="/fuzz/$t+" '
      /^ +#[0-9]+ / && !found {
        if ($0 ~ /\/src\/crema\/| crema::/) { print "crema"; found = 1; next }
        if (match($0, /\(\/[^ ()]+\.so[.0-9]*\+0x/)) {
          lib = substr($0, RSTART + 1, RLENGTH - 4)
          sub(/.*\//, "", lib)
          if (lib !~ /^(libc|libstdc\+\+|libgcc_s|libm|ld-linux)/) { print lib; found = 1 }
        }
      }
      END { if (!found) print "none" }'
}

# FUZZ_REPORT_ONLY=1: the table of the last run, without fuzzing again.
if [ -z "${FUZZ_REPORT_ONLY:-}" ]; then
  JOBS_AT_ONCE=${FUZZ_JOBS:-1}
  for t in "${TARGETS[@]}"; do
    while [ "$(jobs -rp | wc -l)" -ge "$JOBS_AT_ONCE" ]; do wait -n; done
    run_target "$t" &
  done
  wait
fi
rm -f "$WORK"/logs/*.blame

rows=()
open=0
for t in "${TARGETS[@]}"; do
  line=$(grep -E '^#[0-9]+: ' "$WORK/logs/$t.log" | tail -1)
  execs=$(echo "$line" | sed -E 's/^#([0-9]+):.*/\1/')
  cov=$(echo "$line" | grep -oE 'cov: [0-9]+' | awk '{print $2}')
  ours=0
  theirs=()
  for artifact in "$WORK/crashes/$t"/{crash,leak,timeout,oom,slow-unit}-*; do
    [ -f "$artifact" ] || continue
    case $artifact in *.min) continue ;; esac
    who=$(blame "$t" "$artifact")
    echo "$(basename "$artifact"): $who" >>"$WORK/logs/$t.blame"
    if [ "$who" = none ]; then
      theirs+=("(no-longer-crashes)")
    elif [ "$who" = crema ]; then
      ours=$((ours + 1))
      ASAN_OPTIONS=$(asan_options "$t") "$BUILD/fuzz/$t" -minimize_crash=1 -max_total_time=60 \
        "${FLAGS[@]}" -exact_artifact_path="$artifact.min" "$artifact" >>"$WORK/logs/$t.min.log" 2>&1
    else
      theirs+=("$who")
    fi
  done
  open=$((open + ours))
  deps=$(printf '%s\n' "${theirs[@]}" | grep -v '^$' | sort | uniq -c | awk '{printf "%s%s x%s", (NR > 1 ? ", " : ""), $2, $1}')
  rows+=("$(printf '%-16s %12s %8s %8s  %s' "$t" "${execs:-?}" "$ours" "${cov:-?}" "${deps:--}")")
done

echo
printf '%-16s %12s %8s %8s  %s\n' target execs crashes cov "in libraries crema calls"
for r in "${rows[@]}"; do echo "$r"; done
echo "(crashes: in crema's code; logs: $WORK/logs/ (*.blame says where each artifact"
echo " crashed); artifacts, with .min minimised copies of crema's: $WORK/crashes/)"
[ "$open" -eq 0 ]
