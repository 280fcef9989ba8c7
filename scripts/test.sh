#!/usr/bin/env bash
# One command: install what is missing (tests included), build, and run every test through ctest.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/deps.sh" --tests
"$root/scripts/build.sh"
cd "$root/build"
status=0
QT_QPA_PLATFORM=offscreen ctest --output-on-failure "$@" || status=$?
# ctest lists the suites it skipped; Qt Test's SKIP line in the log says why.
grep -h "^SKIP   :" Testing/Temporary/LastTest.log 2>/dev/null | sort -u || true
exit $status
