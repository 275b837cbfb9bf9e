#!/usr/bin/env bash
# make demo: times LeNet forward and backward.
set -euo pipefail
BUILD_DIR=${1:-build}
"$BUILD_DIR/tools/time" --model=models/lenet/deploy.prototxt --iterations=10 2>/dev/null
