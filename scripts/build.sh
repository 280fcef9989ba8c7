#!/usr/bin/env bash
# Configures and builds into ./build (Release, Ninja). Extra arguments go to ninja.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
jobs="${EMBERVLM_JOBS:-$(nproc)}"
# Torch translation units need about 1 GB each: do not run more than memory allows.
mem_gb=$(awk '/MemAvailable/ {print int($2/1048576)}' /proc/meminfo)
[ "$jobs" -gt "$mem_gb" ] && [ "$mem_gb" -ge 1 ] && jobs=$mem_gb
launcher=()
if command -v ccache >/dev/null; then
  # ccache (scripts/deps.sh --tests installs it): build-asan/ (scripts/test-sanitize.sh) then
  # reuses this build's torch objects. Paths relative to the checkout make the command lines of
  # both folders alike; the torch translation units' precompiled header needs this sloppiness.
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  export CCACHE_BASEDIR="$root"
  export CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime
fi
if [ ! -f "$root/build/build.ninja" ]; then
  cmake -S "$root" -B "$root/build" -G Ninja -DCMAKE_BUILD_TYPE=Release "${launcher[@]}"
fi
cmake --build "$root/build" -j "$jobs" -- "$@"
