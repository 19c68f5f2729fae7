#!/usr/bin/env bash
# Load run against `facekit serve` on loopback: 64 connections for 60 s (wrk),
# alternating SearchFaces (a 1:N search of an LFW gallery) and DetectFace on
# real photos; then an overload phase with a key limited to 5 requests/s.
# Prints one JSON object per phase. Not a test: the figures depend on the machine.
#   bench/cloud_load/run.sh [--people N] [--duration S] [--connections C]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BIN="$ROOT/build/${FACEKIT_PRESET:-release}/facekit"
DATA_DIR="$ROOT/../shared/data"
PEOPLE=200 DURATION=60 CONNECTIONS=64
while [ $# -gt 0 ]; do
  case "$1" in
    --people) PEOPLE="$2"; shift 2 ;;
    --duration) DURATION="$2"; shift 2 ;;
    --connections) CONNECTIONS="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
WORK="$(mktemp -d)"
trap 'kill "$SERVER" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$WORK"' EXIT

# A gallery of PEOPLE LFW identities, one photo each (the first), the probe is another photo of the first person.
mkdir -p "$WORK/people"
count=0
for d in $(ls "$DATA_DIR/lfw-view1/original-150" | sort); do
  files=("$DATA_DIR/lfw-view1/original-150/$d"/*)
  [ ${#files[@]} -ge 2 ] || continue
  mkdir -p "$WORK/people/$d"
  ln -s "${files[0]}" "$WORK/people/$d/"
  if [ $count -eq 0 ]; then PROBE="${files[1]}"; fi
  count=$((count + 1))
  [ $count -lt "$PEOPLE" ] || break
done
"$BIN" gallery enroll --data "$WORK/data" --group bench "$WORK/people" --json > "$WORK/enroll.jsonl" 2>/dev/null
ADMIN=$("$BIN" keys create --data "$WORK/data" --role read-only --rate-limit 1000000 --json)
SLOW=$("$BIN" keys create --data "$WORK/data" --role read-only --rate-limit 5 --json)
field() { python3 -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"; }

"$BIN" serve --data "$WORK/data" --listen 127.0.0.1:0 --max-queued 1024 > "$WORK/serve.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 200); do
  PORT=$(sed -n 's/.*serving on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$WORK/serve.log")
  [ -n "$PORT" ] && break
  sleep 0.1
done
[ -n "${PORT:-}" ] || { cat "$WORK/serve.log" >&2; exit 1; }

echo "{\"gallery_people\": $count, \"server\": \"127.0.0.1:$PORT\", \"cores\": $(nproc)}"
python3 "$ROOT/bench/cloud_load/sign_requests.py" "$WORK/req" "127.0.0.1:$PORT" "$(field "$ADMIN" secret_id)" \
  "$(field "$ADMIN" secret_key)" bench "$PROBE" "$DATA_DIR/faces/photos/obama_and_biden.jpg"
REQUESTS_DIR="$WORK/req" wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --timeout 30s -s "$ROOT/bench/cloud_load/load.lua" \
  "http://127.0.0.1:$PORT/" | grep '^{' | sed 's/^{/{"phase": "mixed load", /'

python3 "$ROOT/bench/cloud_load/sign_requests.py" "$WORK/req-slow" "127.0.0.1:$PORT" "$(field "$SLOW" secret_id)" \
  "$(field "$SLOW" secret_key)" bench "$PROBE" "$DATA_DIR/faces/photos/obama_and_biden.jpg"
REQUESTS_DIR="$WORK/req-slow" wrk -t2 -c16 -d10s --timeout 30s -s "$ROOT/bench/cloud_load/load.lua" \
  "http://127.0.0.1:$PORT/" | grep '^{' | sed 's/^{/{"phase": "key over its 5 requests\/s", /'
