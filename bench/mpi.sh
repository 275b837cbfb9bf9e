#!/usr/bin/env bash
# bench/mpi.sh BUILD_DIR: data-parallel training on this machine. For LeNet
# and AlexNet (DummyData input, so only compute and communication count):
# images/s of one process with 2 BLAS threads versus two MPI ranks with one
# thread each at the same total batch, the measured gradient all-reduce time,
# and a model of scaling to 8 and 64 nodes on a 25 Gb/s network.
set -euo pipefail
BUILD=${1:-build}
TOOLS=$BUILD/tools
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
MPIEXEC=${MPIEXEC:-mpirun}
ITERS_LENET=${ITERS_LENET:-60}
ITERS_ALEXNET=${ITERS_ALEXNET:-8}

if ! command -v "$MPIEXEC" >/dev/null 2>&1; then
  echo "mpi: skipped (no mpirun; scripts/install_deps.sh installs Open MPI)"
  exit 0
fi
if ! grep -qa "MPI_Iallreduce" "$BUILD/libcrema.so" 2>/dev/null; then
  echo "mpi: skipped ($BUILD was configured without MPI; see cmake/MPI.cmake)"
  exit 0
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/crema_bench_mpi.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# train_net DEPLOY BATCH OUT: the deploy net fed by DummyData with a loss.
train_net() {
  sed -E -e 's/type: "Input"/type: "DummyData"/' \
    -e 's/^  top: "data"$/  top: "data"\n  top: "label"/' \
    -e "s/input_param \\{ shape \\{ dim: [0-9]+ (.*) \\} \\}/dummy_data_param { shape { dim: $2 \\1 } shape { dim: $2 } data_filler { type: \"constant\" value: 1 } data_filler { type: \"constant\" } }/" \
    -e 's/type: "Softmax"/type: "SoftmaxWithLoss"/' \
    -e 's/^  top: "prob"$/  bottom: "label"\n  top: "loss"/' "$1" >"$3"
}

# solver NET ITERS DISPLAY OUT
solver() {
  cat >"$4" <<SOLVER
net: "$1"
base_lr: 0.0001
momentum: 0.9
lr_policy: "fixed"
max_iter: $2
display: $3
snapshot_after_train: false
random_seed: 1
SOLVER
}

# images/s from the last speed line of a log.
speed() { grep -o "[0-9.e+]* images/s" "$1" | tail -1 | awk '{printf "%.1f", $1}'; }

# run NAME DEPLOY BATCH_PER_RANK ITERS DISPLAY
run() {
  local name=$1 deploy=$2 batch=$3 iters=$4 display=$5
  train_net "$deploy" $((2 * batch)) "$WORK/$name.1.prototxt"
  train_net "$deploy" "$batch" "$WORK/$name.2.prototxt"
  solver "$WORK/$name.1.prototxt" "$iters" "$display" "$WORK/$name.1.solver"
  solver "$WORK/$name.2.prototxt" "$iters" "$display" "$WORK/$name.2.solver"
  OPENBLAS_NUM_THREADS=2 OMP_NUM_THREADS=2 "$TOOLS/train" --solver="$WORK/$name.1.solver" \
    >"$WORK/$name.1.log" 2>&1 || { tail "$WORK/$name.1.log"; return 1; }
  OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 "$MPIEXEC" --allow-run-as-root --oversubscribe \
    --bind-to none -np 2 -x OPENBLAS_NUM_THREADS -x OMP_NUM_THREADS \
    "$TOOLS/train" --solver="$WORK/$name.2.solver" >"$WORK/$name.2.log" 2>&1 ||
    { tail "$WORK/$name.2.log"; return 1; }
  local one two params alone waited
  one=$(speed "$WORK/$name.1.log")
  two=$(speed "$WORK/$name.2.log")
  params=$(grep -o "Gradient all-reduce: [0-9]* parameters" "$WORK/$name.2.log" | awk '{print $3}')
  alone=$(grep -o "takes [0-9.e+-]* ms here" "$WORK/$name.2.log" | awk '{print $2}')
  waited=$(grep -o "waited [0-9.e+-]* ms per iteration" "$WORK/$name.2.log" | awk '{print $2}')
  printf "mpi %-8s batch %4d: 1 process x 2 threads %8s images/s | 2 processes x 1 thread %8s images/s (x%s)\n" \
    "$name" $((2 * batch)) "$one" "$two" "$(awk -v a="$one" -v b="$two" 'BEGIN{printf "%.2f", b/a}')"
  printf "mpi %-8s all-reduce of %s parameters (%.1f MB): %.2f ms alone; %.2f ms per iteration waited after backward\n" \
    "$name" "$params" "$(awk -v p="$params" 'BEGIN{print p*4/1e6}')" "$alone" "$waited"
  # For the scaling model: seconds of compute per image on one process.
  echo "$name $params $one" >>"$WORK/model"
}

run LeNet "$ROOT/models/lenet/deploy.prototxt" 64 "$ITERS_LENET" 20
run AlexNet "$ROOT/models/alexnet/deploy.prototxt" 16 "$ITERS_ALEXNET" 2

# Ring all-reduce moves 2(K-1)/K of the gradient in and out of every node;
# at 25 Gb/s (3.125 GB/s) and without overlap an iteration costs the compute
# of one batch per node plus that transfer. Efficiency = compute / (compute +
# transfer); it is 90% when compute is 9 times the transfer.
awk 'BEGIN { bw = 25e9 / 8 }
{
  name = $1; bytes = $2 * 4; rate = $3; line = ""
  for (i = 1; i <= 2; ++i) {
    k = (i == 1) ? 8 : 64
    comm = 2 * (k - 1) / k * bytes / bw
    here = 256 / rate
    line = line sprintf("; %d nodes: all-reduce %.0f ms, %.0f%% efficiency at batch 256/node for nodes as fast as this one, 90%% needs >= %.2f s of compute per iteration (<= %.0f images/s per node at batch 256)",
                        k, comm * 1e3, 100 * here / (here + comm), 9 * comm, 256 / (9 * comm))
  }
  printf "mpi model %-8s %.2fM params (%.1f MB per all-reduce), 25 Gb/s ring%s\n", name, $2 / 1e6, bytes / 1e6, line
}' "$WORK/model"
