#!/usr/bin/env bash
# Configures and builds into ./build (Release, Ninja). Extra arguments go to ninja.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
. "$root/scripts/build-env.sh"   # $jobs, $launcher
if [ ! -f "$root/build/build.ninja" ]; then
  cmake -S "$root" -B "$root/build" -G Ninja -DCMAKE_BUILD_TYPE=Release "${launcher[@]}"
fi
cmake --build "$root/build" -j "$jobs" -- "$@"
