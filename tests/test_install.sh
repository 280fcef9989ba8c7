#!/usr/bin/env bash
# The installed layout (issue 16): `cmake --install` into a prefix, then the installed programs
# run from outside the tree with a fresh home (the vocabulary, a training run, the studio's first
# start and a screenshot), the desktop entry and the AppStream metainfo validate, and
# `cpack -G DEB` builds a package whose dependencies come from the linked libraries
# (dpkg-shlibdeps) and whose unpacked programs run.
# Usage: test_install.sh BUILD_DIR
set -euo pipefail
build="$(cd "$1" && pwd)"
here="$(cd "$(dirname "$0")" && pwd)"
tmp="$(mktemp -d)"
# Kept when the test fails, for its outputs.
trap 'rc=$?; if [ $rc -eq 0 ]; then rm -rf "$tmp"; else echo "FAIL (line $LINENO, status $rc); files kept in $tmp" >&2; fi' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
for tool in desktop-file-validate appstreamcli cpack dpkg-deb dpkg-shlibdeps; do
  command -v "$tool" >/dev/null || fail "$tool is missing (scripts/deps.sh --tests installs it)"
done

prefix="$tmp/prefix"
cmake --install "$build" --prefix "$prefix" >/dev/null
for f in bin/embervlm libexec/embervlm/embervlm-engine lib/embervlm/libembervlm_codecs.so bin/embervlm-studio bin/embervlm-bench share/embervlm/encoder.json share/embervlm/vocab.bpe \
         share/embervlm/eager_bench.py share/embervlm/embervlm_ref.py share/embervlm/recipes/demo.json share/embervlm/recipes/stage-defaults.json \
         share/applications/io.github.embervlm.Studio.desktop share/metainfo/io.github.embervlm.Studio.metainfo.xml \
         share/icons/hicolor/scalable/apps/io.github.embervlm.Studio.svg; do
  [ -e "$prefix/$f" ] || fail "not installed: $f"
done
desktop-file-validate "$prefix/share/applications/io.github.embervlm.Studio.desktop" || fail "desktop-file-validate"
appstreamcli validate --no-net "$prefix/share/metainfo/io.github.embervlm.Studio.metainfo.xml" >/dev/null \
  || fail "appstreamcli validate"

# Run from elsewhere, with a fresh home: nothing may come from the build or source tree.
export HOME="$tmp/home" XDG_DATA_HOME="$tmp/home/.local/share" XDG_CONFIG_HOME="$tmp/home/.config"
export QT_QPA_PLATFORM=offscreen
unset EMBERVLM_DATA_DIR
cd "$tmp"
ids="$("$prefix/bin/embervlm" tokenize -- "----")"
[ "$ids" = "[650]" ] || fail "installed tokenize printed $ids"
version="$("$prefix/bin/embervlm" --version)"
case "$version" in "embervlm "*) ;; *) fail "--version printed $version" ;; esac
ws="$tmp/ws"
"$prefix/bin/embervlm" data demo -w "$ws" --count 8 --size 64 >/dev/null
tiny='{"vision_widths":[8,16,24,32],"vision_depths":[1,1,2,1],"n_embd":32,"n_head":2,"n_layer":2,"n_inner":64,"proj_hidden":48,"reasoning_hidden":48,"validator_hidden":24,"answer_hidden":16}'
"$prefix/bin/embervlm" train -w "$ws" --stage 3 --preset lite --threads 1 \
  --config "{\"model_overrides\":$tiny,\"max_steps\":2,\"batch_size\":2,\"eval_split\":\"none\"}" >"$tmp/train.out"
grep -q '"event":"finished"' "$tmp/train.out" || fail "installed train did not finish"
[ -s "$ws/runs/run-1/train.log" ] || fail "no runs/run-1/train.log"

# The engine benchmark from the prefix alone (its eager side is the installed script and reference
# model): the quick mode checks agreement with eager PyTorch and prints every figure.
/usr/bin/python3 "$here/bench_quick.py" "$prefix/bin" embervlm-bench || fail "installed embervlm-bench --quick"

# The studio from the prefix: its first start makes the default workspace in the fresh home.
"$prefix/bin/embervlm-studio" --screenshot "$tmp/shot.png" --size 1000x700 >/dev/null
[ -s "$tmp/shot.png" ] || fail "no screenshot from the installed studio"
[ -f "$XDG_DATA_HOME/EmberVLM/EmberVLM Studio/default-workspace/images/demo-rooftop.png" ] || fail "no default workspace"

# The Debian package.
cd "$build"
cpack -G DEB -B "$tmp/pkg" >/dev/null || fail "cpack -G DEB"
debs=("$tmp"/pkg/embervlm-studio_*.deb)
deb="${debs[0]}"
[ -f "$deb" ] || fail "cpack made no .deb"
depends="$(dpkg-deb -f "$deb" Depends)"
echo "Depends: $depends"
# Found by dpkg-shlibdeps (the run-time plugins are listed by hand in resources/CMakeLists.txt).
for lib in libtorch1.13 libqt6widgets6 libqt6core6 libsqlite3 libssl3 libopencv-imgcodecs; do
  [[ "$depends" == *"$lib"* ]] || fail "the package does not depend on $lib"
done
root="$tmp/unpacked"
dpkg-deb -x "$deb" "$root"
[ -x "$root/usr/bin/embervlm-studio" ] || fail "no studio in the package"
cd "$tmp"
ids="$("$root/usr/bin/embervlm" tokenize -- "----")"
[ "$ids" = "[650]" ] || fail "packaged embervlm printed $ids"
"$root/usr/bin/embervlm-studio" --screenshot "$tmp/shot2.png" --size 800x600 >/dev/null
[ -s "$tmp/shot2.png" ] || fail "the packaged studio did not start"
echo "install tree, desktop entry, metainfo and package: ok"
