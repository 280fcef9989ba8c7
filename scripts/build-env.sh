# Sourced by build.sh and test-sanitize.sh (with $root set): $jobs, the parallel compiles the
# memory allows, and $launcher, ccache when it is installed, set up so that two build folders of
# this checkout share the objects they compile alike.
jobs="${EMBERVLM_JOBS:-$(nproc)}"
# Torch translation units need about 1 GB each: do not run more than memory allows.
mem_gb=$(awk '/MemAvailable/ {print int($2/1048576)}' /proc/meminfo)
[ "$jobs" -gt "$mem_gb" ] && [ "$mem_gb" -ge 1 ] && jobs=$mem_gb
launcher=()
if command -v ccache >/dev/null; then
  # ccache (scripts/deps.sh --tests installs it): build-asan/ (scripts/test-sanitize.sh) reuses
  # build/'s torch objects. Paths relative to the checkout make the command lines of both folders
  # alike; the torch translation units' precompiled header needs this sloppiness.
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  export CCACHE_BASEDIR="$root"
  export CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime
fi
