#!/usr/bin/env bash
# One command: install what is missing, build, and start the studio on its default workspace.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/deps.sh"
"$root/scripts/build.sh"
exec "$root/build/bin/embervlm-studio" "$@"
