#!/usr/bin/env bash
# The Python module's overhead: AlexNet batch-1 inference, the median forward
# of tools/time against the median of crema.Net.forward() in a Python loop,
# same threads, same engine choice. Prints one line; the target is < 3%.
#
# Usage: bench/python_overhead.sh BUILD_DIR   (env: BENCH_INFER_ITERS, default 20)
set -uo pipefail
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
ITERS=${BENCH_INFER_ITERS:-20}
PY=/usr/bin/python3
MODEL=$ROOT/models/alexnet/deploy.prototxt
export GLOG_minloglevel=2
if [ ! -f "$BUILD/python/crema/__init__.py" ] || ! $PY -c 'import numpy' 2>/dev/null; then
  echo "python_overhead: the crema Python module is not built; skipped"
  exit 0
fi

tool_ms=$("$BUILD/tools/time" --model="$MODEL" --batch=1 --phase=TEST --forward_only \
            --iterations="$ITERS" 2>/dev/null |
          sed -n 's/^Median iteration: \([0-9.]*\) ms.*/\1/p')
py_ms=$(PYTHONPATH=$BUILD/python $PY - "$MODEL" "$ITERS" <<'PYEOF'
import sys, time
import numpy as np
import crema
model, iters = sys.argv[1], int(sys.argv[2])
net = crema.Net(model, crema.TEST)
net.blobs['data'].reshape(1, 3, 227, 227)
net.reshape()
net.blobs['data'].data[...] = np.random.RandomState(0).rand(1, 3, 227, 227)
net.forward()  # warm-up, as tools/time does
times = []
for _ in range(iters):
    start = time.perf_counter()
    net.forward()
    times.append((time.perf_counter() - start) * 1e3)
print('%.3f' % float(np.median(times)))
PYEOF
)
if [ -z "$tool_ms" ] || [ -z "$py_ms" ]; then
  echo "python_overhead: a run failed (tools/time: '${tool_ms}', python: '${py_ms}')" >&2
  exit 1
fi
awk -v t="$tool_ms" -v p="$py_ms" 'BEGIN {
  printf "python_overhead: AlexNet b1 forward median: tools/time %.2f ms, crema.Net.forward() %.2f ms, overhead %+.1f%% (target < 3%%)\n", t, p, (p / t - 1) * 100 }'
