#!/usr/bin/env bash
# mpirun -np 2 train on generated digits reaches the accuracy of one process
# (well above chance, within 0.03 of it after 100 iterations),
# only rank 0 logs and writes snapshots (rank 1 runs in another folder, with
# the same relative snapshot_prefix, and must leave it empty), and the
# images/s line counts both ranks.
source "$(dirname "$0")/common.sh"

make_digits 60 20
test_settings='test_iter: 4
test_interval: 100
test_initialization: false'
write_solver "$WORK/single" 64 100 50 "$WORK/single/lenet" "$test_settings"
write_solver "$WORK/mpi" 32 100 50 "snap/lenet" "$test_settings"
mkdir -p "$WORK/rank0/snap" "$WORK/rank1/snap"

"$TOOLS/train" --solver="$WORK/single/solver.prototxt" >"$WORK/single.log" 2>&1 ||
  { cat "$WORK/single.log"; exit 1; }
# One rank per working folder (MPMD syntax), same program and flags.
run_mpi 1 -wdir "$WORK/rank0" "$TOOLS/train" --solver="$WORK/mpi/solver.prototxt" \
  : -np 1 -wdir "$WORK/rank1" "$TOOLS/train" --solver="$WORK/mpi/solver.prototxt" \
  >"$WORK/mpi.log" 2>&1 || { cat "$WORK/mpi.log"; exit 1; }

single=$(last_value "accuracy" "$WORK/single.log")
mpi=$(last_value "accuracy" "$WORK/mpi.log")
echo "test accuracy after 100 iterations: 1 process x 64: $single; 2 ranks x 32: $mpi"
awk -v a="$single" -v b="$mpi" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(a >= 0.5 && b >= 0.5 && d <= 0.03) }' ||
  { echo "FAILED: accuracies differ beyond noise"; exit 1; }

echo "rank 0 snapshots: $(ls "$WORK/rank0/snap" | tr '\n' ' ')"
for f in lenet_iter_50.caffemodel lenet_iter_50.solverstate lenet_iter_100.caffemodel \
         lenet_iter_100.solverstate; do
  [ -f "$WORK/rank0/snap/$f" ] || { echo "FAILED: rank 0 did not write $f"; exit 1; }
done
if [ -n "$(ls -A "$WORK/rank1/snap")" ]; then
  echo "FAILED: rank 1 wrote $(ls "$WORK/rank1/snap")"
  exit 1
fi

# Only rank 0 logs: one line per display, one test result.
n=$(grep -c "Iteration 50, loss" "$WORK/mpi.log")
[ "$n" -eq 1 ] || { echo "FAILED: 'Iteration 50, loss' logged $n times"; exit 1; }
n=$(grep -c "Test net output #0" "$WORK/mpi.log")
[ "$n" -eq 1 ] || { echo "FAILED: test results logged $n times"; exit 1; }
# images/s counts both ranks: iter/s x 32 images per rank x 2 ranks, within
# the rounding of the printed figures (6 significant digits).
grep "Speed:" "$WORK/mpi.log" | tail -1
grep -o "Speed: [0-9.e+-]* iter/s, [0-9.e+-]* images/s" "$WORK/mpi.log" >"$WORK/speed" || true
[ -s "$WORK/speed" ] || { echo "FAILED: no 'Speed: ... iter/s, ... images/s' line"; exit 1; }
awk '{ iters = $2; images = $4; expected = iters * 32 * 2; d = images - expected
       if (d < 0) d = -d
       if (d > 1e-4 * expected + 1e-3) { print "FAILED: " $0 " is not iter/s x 32 x 2 = " expected; bad = 1 } }
     END { exit bad }' "$WORK/speed" || exit 1
echo "images/s = iter/s x 32 x 2 on $(wc -l <"$WORK/speed") speed lines"
echo PASSED
