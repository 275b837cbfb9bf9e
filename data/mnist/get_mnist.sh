#!/usr/bin/env bash
# Fetches MNIST and converts it to LMDB for models/lenet.
#   data/mnist/get_mnist.sh [DIR]
# With DIR (e.g. ../shared/data/mnist) the four idx files (.gz or not) are
# taken from there; without it they are downloaded (needs the internet).
# The files and the databases go into this folder:
#   data/mnist/mnist_train_lmdb   (60000 images)
#   data/mnist/mnist_test_lmdb    (10000 images)
# BUILD_DIR (default: build) is where crema's tools were built.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"
CONVERT="$BUILD_DIR/tools/convert_mnist"
FILES=(train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte)
MIRRORS=(
  "https://ossci-datasets.s3.amazonaws.com/mnist"
  "https://storage.googleapis.com/cvdf-datasets/mnist"
  "http://yann.lecun.com/exdb/mnist"
)

if [ ! -x "$CONVERT" ]; then
  echo "get_mnist: $CONVERT not found; build crema first (make build)." >&2
  exit 1
fi

# Puts NAME.gz (or NAME) into this folder; prints the path.
fetch() {
  local name="$1" src="${2:-}"
  if [ -n "$src" ]; then
    for candidate in "$src/$name.gz" "$src/$name"; do
      if [ -f "$candidate" ]; then
        local dest="$HERE/$(basename "$candidate")"
        [ "$(cd "$(dirname "$candidate")" && pwd)" = "$HERE" ] || cp "$candidate" "$dest"
        echo "$dest"
        return 0
      fi
    done
    echo "get_mnist: neither $src/$name.gz nor $src/$name exists." >&2
    return 1
  fi
  if [ -f "$HERE/$name.gz" ]; then echo "$HERE/$name.gz"; return 0; fi
  for mirror in "${MIRRORS[@]}"; do
    if command -v curl >/dev/null 2>&1; then
      curl -fsSL --retry 2 -o "$HERE/$name.gz.part" "$mirror/$name.gz" || continue
    else
      wget -q -O "$HERE/$name.gz.part" "$mirror/$name.gz" || continue
    fi
    mv "$HERE/$name.gz.part" "$HERE/$name.gz"
    echo "$HERE/$name.gz"
    return 0
  done
  rm -f "$HERE/$name.gz.part"
  echo "get_mnist: could not download $name.gz (offline?); pass a folder holding the files." >&2
  return 1
}

SRC="${1:-}"
if [ -n "$SRC" ] && [ ! -d "$SRC" ]; then
  echo "get_mnist: $SRC is not a folder." >&2
  exit 1
fi
declare -A PATHS
for f in "${FILES[@]}"; do
  PATHS[$f]="$(fetch "$f" "$SRC")"
done

rm -rf "$HERE/mnist_train_lmdb" "$HERE/mnist_test_lmdb"
"$CONVERT" "${PATHS[train-images-idx3-ubyte]}" "${PATHS[train-labels-idx1-ubyte]}" "$HERE/mnist_train_lmdb"
"$CONVERT" "${PATHS[t10k-images-idx3-ubyte]}" "${PATHS[t10k-labels-idx1-ubyte]}" "$HERE/mnist_test_lmdb"
echo "MNIST ready: $HERE/mnist_train_lmdb and $HERE/mnist_test_lmdb"
