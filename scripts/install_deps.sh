#!/usr/bin/env bash
# Installs the Debian packages crema needs to build and test.
# Does nothing (and needs no network) when everything is already present.
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config
  protobuf-compiler libprotobuf-dev
  libgoogle-glog-dev libgflags-dev
  libopencv-dev
  liblmdb-dev
  libleveldb-dev
  zlib1g-dev
  libgtest-dev
  libopenblas-dev
  libopenblas0-openmp
  libdnnl-dev
  libhdf5-dev
  libopenmpi-dev openmpi-bin
  python3-onnx  # the ONNX tests' checker
  libcpp-httplib-dev libssl-dev libbrotli-dev  # the training monitor's HTTP server
  pybind11-dev python3-dev python3-numpy python3-pytest python3-protobuf  # the Python module
  graphviz
  python3-torch python3-torchvision  # the ONNX import tests against PyTorch
  chromium chromium-driver  # the training monitor test in a browser
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "crema: installing missing packages: ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "crema: these Debian packages are missing and we are not root: ${missing[*]}" >&2
    echo "crema: install them (apt-get install ${missing[*]}) and run make again." >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
