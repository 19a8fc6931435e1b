#!/usr/bin/env bash
# Smoke test of a built Truceline, run by `make smoke` and .ci/run after `make dist`.
#
# Unpacks the .tar.gz (default: the newest in dist/) into a scratch folder and runs the bundle with
# an empty environment (no virtualenv, no PYTHONPATH, HOME in the scratch folder), as a laptop
# without Python would: --version, demo --incidents 1000, check, the window on the offscreen
# platform until the timeline is drawn (--smoke-test, desktop/window/smoke_test.py), the same on X11 when
# xvfb-run is installed, and install.sh / uninstall.sh into a scratch root. Any failure stops it
# with a non-zero status.
set -euo pipefail
cd "$(dirname "$0")/.."

archive=${1:-$(ls -t dist/*.tar.gz 2>/dev/null | head -n 1)}
if [ -z "$archive" ] || [ ! -f "$archive" ]; then
  echo "smoke_test: no archive given and none in dist/; run make dist first" >&2
  exit 2
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/truceline-smoke.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/home"
tar -xzf "$archive" -C "$work"
bundle=$(find "$work" -mindepth 1 -maxdepth 1 -type d ! -name home)
program=truceline
data="$work/data"

run() { env -i HOME="$work/home" PATH=/usr/bin:/bin LANG=C.UTF-8 QT_QPA_PLATFORM=offscreen "$@"; }
step() { printf '%-40s' "$1"; }
fail() { echo "FAILED"; echo "smoke_test: $*" >&2; exit 1; }

echo "smoke test of $archive"
step "--version"
expected=$(head -n 1 "$bundle/BUILD-INFO.txt")
version=$(run "$bundle/$program" --version) || fail "--version exited non-zero"
[ "$version" = "$expected" ] || fail "--version printed '$version', expected '$expected'"
echo "$version"

step "demo --incidents 1000"
out=$(run "$bundle/$program" --data-dir "$data" --plain demo --incidents 1000) || fail "demo: $out"
grep -q "^Added 1,000 demo incidents" <<<"$out" || fail "demo printed: $out"
echo "ok"

step "check"
out=$(run "$bundle/$program" --data-dir "$data" check) || fail "check: $out"
grep -q "^result: ok" <<<"$out" || fail "check printed: $out"
grep -q "incidents: 1,000" <<<"$out" || fail "check does not see the 1,000 incidents: $out"
echo "ok"

step "window and timeline (--smoke-test)"
out=$(run "$bundle/$program" --data-dir "$data" --smoke-test 2>&1) || fail "--smoke-test: $out"
grep -q "timeline painted" <<<"$out" || fail "--smoke-test printed: $out"
echo "ok"
sed 's/^/    /' <<<"$out"

if command -v xvfb-run >/dev/null; then
  # The same on a real X server (Xvfb): the xcb plugin and the X libraries the bundle carries.
  step "window on X11 (xvfb-run)"
  out=$(env -i HOME="$work/home" PATH=/usr/bin:/bin LANG=C.UTF-8 \
    xvfb-run -a -s "-screen 0 1920x1080x24" "$bundle/$program" --data-dir "$data" --smoke-test 2>&1) ||
    fail "--smoke-test on X11: $out"
  grep -q "timeline painted" <<<"$out" || fail "--smoke-test on X11 printed: $out"
  echo "ok"
fi

step "install.sh and uninstall.sh"
root="$work/root"
env -i HOME="$work/home" PATH=/usr/bin:/bin "$bundle/install.sh" --root "$root" >/dev/null || fail "install.sh failed"
installed="$root$work/home/.local/lib/$program"
[ "$(run "$installed/$program" --version)" = "$expected" ] || fail "the installed program does not run"
[ "$(readlink "$root$work/home/.local/bin/$program")" = "$work/home/.local/lib/$program/$program" ] ||
  fail "the command link does not point at the installed program"
entry=$(find "$root$work/home/.local/share/applications" -name "*.desktop")
grep -q "^Exec=$work/home/.local/lib/$program/$program$" "$entry" || fail "the menu entry does not start the installed program"
if command -v desktop-file-validate >/dev/null; then desktop-file-validate "$entry" || fail "installed $entry is invalid"; fi
env -i HOME="$work/home" PATH=/usr/bin:/bin "$installed/uninstall.sh" --root "$root" >/dev/null || fail "uninstall.sh failed"
left=$(find "$root" ! -type d)
[ -z "$left" ] || fail "uninstall left files behind: $left"
echo "ok"

echo "smoke test passed: $(du -sh "$bundle" | cut -f1) unpacked, $(du -h "$archive" | cut -f1) archive"
