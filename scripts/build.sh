#!/usr/bin/env bash
# Configures and builds into ./build (Release, Ninja). Extra arguments go to ninja.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
jobs="${EMBERVLM_JOBS:-$(nproc)}"
# Torch translation units need about 1 GB each: do not run more than memory allows.
mem_gb=$(awk '/MemAvailable/ {print int($2/1048576)}' /proc/meminfo)
[ "$jobs" -gt "$mem_gb" ] && [ "$mem_gb" -ge 1 ] && jobs=$mem_gb
if [ ! -f "$root/build/build.ninja" ]; then
  cmake -S "$root" -B "$root/build" -G Ninja -DCMAKE_BUILD_TYPE=Release
fi
cmake --build "$root/build" -j "$jobs" -- "$@"
