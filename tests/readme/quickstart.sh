#!/usr/bin/env bash
# The README's quick start, run exactly as written: the first ```sh block
# under "## Quick start", in a copy of the checkout's layout (build/, models/
# and ../shared linked in) with a fresh data folder, against a server started
# the way scripts/start.sh starts it (facekit serve --data facekit-data
# --listen 127.0.0.1:8080). Port 8080 is taken inside a network namespace of
# its own (unshare -n, as root), so the test never meets another server;
# without namespaces it uses the host's 8080 if free, else it is skipped
# (exit 77) saying why.
set -euo pipefail
SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

if [ "${1:-}" != "--inside" ]; then
  if [ ! -x "$SRC/build/release/facekit" ]; then
    echo "SKIP: the quick start uses build/release/facekit, which is not built (cmake --build --preset release)"
    exit 77
  fi
  if unshare -n true 2>/dev/null; then
    exec unshare -n bash "${BASH_SOURCE[0]}" --inside --netns
  fi
  if (exec 3<>/dev/tcp/127.0.0.1/8080) 2>/dev/null; then
    echo "SKIP: no network namespace (unshare -n needs root) and 127.0.0.1:8080 is in use"
    exit 77
  fi
  exec bash "${BASH_SOURCE[0]}" --inside
fi
if [ "${2:-}" = "--netns" ]; then ip link set lo up; fi

block="$(awk '/^## Quick start/ { q = 1 } q && /^```sh$/ { on = 1; next } on && /^```$/ { exit } on { print }' "$SRC/README.md")"
if [ -z "$block" ]; then
  echo "FAIL: no \`\`\`sh block under '## Quick start' in README.md"
  exit 1
fi

work="$(mktemp -d)"
server=""
cleanup() {
  if [ -n "$server" ]; then kill -TERM "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/facekit"
ln -s "$SRC/build" "$work/facekit/build"
ln -s "$SRC/models" "$work/facekit/models"
ln -s "$(cd "$SRC/../shared" && pwd)" "$work/shared"
cd "$work/facekit"

# What scripts/start.sh execs once the set-up and the self-check are done.
build/release/facekit --models "$SRC/models" serve --data facekit-data --listen 127.0.0.1:8080 >serve.log 2>&1 &
server=$!
for _ in $(seq 1 600); do
  grep -q "serving on http://127.0.0.1:8080" serve.log && break
  kill -0 "$server" 2>/dev/null || { echo "FAIL: the server did not start:"; cat serve.log; exit 1; }
  sleep 0.1
done
grep -q "serving on http://127.0.0.1:8080" serve.log || { echo "FAIL: the server did not start in 60 s"; cat serve.log; exit 1; }

echo "--- running the README's quick start:"
echo "$block"
status=0
bash -euo pipefail -c "$block" >out.txt 2>err.txt || status=$?
echo "--- stdout:"; cat out.txt
echo "--- stderr:"; cat err.txt
if [ "$status" -ne 0 ]; then echo "FAIL: the quick start exited with status $status"; exit 1; fi

fail=0
expect() {  # expect FILE TEXT WHY
  if ! grep -qF -- "$2" "$1"; then echo "FAIL: $3: '$2' not in $1"; fail=1; fi
}
expect err.txt "40 images in" "enroll sums up"
expect err.txt "40 enrolled, 0 already enrolled, 0 over the 5-face limit, 0 failed" "enroll stores every bbt photo"
expect out.txt '"event":"enrolled"' "enroll reports each stored face"
expect err.txt "holds 6 faces" "search says the photo holds several faces"
expect out.txt "match: penny (score" "search gives a verdict"
expect out.txt "same person" "compare decides"
expect out.txt "decision rule: same person when score >= 60" "compare names its rule"
expect out.txt '"landmarks":[{"x":' "REST detect answers landmarks"
expect out.txt '"quality":{' "REST detect answers quality when asked"
[ "$fail" -eq 0 ] && echo "OK: the README's quick start runs as written"
exit "$fail"
