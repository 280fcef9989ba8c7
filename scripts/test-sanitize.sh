#!/usr/bin/env bash
# The studio's widget suites (ctest label `studio`) under AddressSanitizer + UndefinedBehaviorSanitizer:
# configures build-asan/ (Release, -DEMBERVLM_SANITIZE=ON: cmake/sanitize.cmake instruments the
# torch-free and widget code, with -g), builds only what those suites need and runs them. Any report
# (the suites' own processes or the `embervlm` children they start) fails. Extra arguments go to
# ctest (e.g. -R test_train_view). EMBERVLM_JOBS caps the parallel compiles.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/deps.sh" --tests
build="$root/build-asan"
. "$root/scripts/build-env.sh"   # $jobs, $launcher (the same ccache settings as build/)
if [ ${#launcher[@]} -gt 0 ]; then
  export CCACHE_STATSLOG="$build/ccache-stats.log"   # this build's hits and misses alone
  rm -f "$CCACHE_STATSLOG"
fi
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DEMBERVLM_SANITIZE=ON "${launcher[@]}"

# The suites are executables named as their tests; ninja builds their dependencies (the
# `embervlm` trainer, the crash child) with them.
mapfile -t suites < <(cd "$build" && ctest -N -L studio | sed -n 's/^ *Test *#[0-9]*: *//p')
[ ${#suites[@]} -gt 0 ] || { echo "no ctest suite labelled studio" >&2; exit 1; }
cmake --build "$build" -j "$jobs" --target "${suites[@]}"
if [ -n "${CCACHE_STATSLOG:-}" ] && [ -f "$CCACHE_STATSLOG" ]; then
  echo "ccache, this build:"
  ccache --show-log-stats | grep -E 'Hits|Misses|Uncacheable' || true
fi

# cmake/sanitize.cmake points ASan's log_path here: one file per report and process.
reports="$build/sanitizer-reports"
rm -rf "$reports"
mkdir -p "$reports"
cd "$build"
rc=0
QT_QPA_PLATFORM=offscreen ctest --output-on-failure -L studio "$@" || rc=$?
if compgen -G "$reports/*" >/dev/null; then
  for f in "$reports"/*; do
    echo "==== $f"
    cat "$f"
  done
  echo "test-sanitize: sanitizer reports above (in $reports)" >&2
  [ "$rc" -ne 0 ] || rc=1
fi
exit "$rc"
