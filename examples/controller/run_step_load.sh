#!/usr/bin/env bash
# A picture of the adaptive controller on this machine: runs step_load.json
# (frames costing 20 ms of CPU each, at most 30 fps, the host's CPU held near
# TARGET), starts a competing process that keeps one core busy from LOAD_AT to
# LOAD_AT+LOAD_FOR seconds, then draws the controller's trace. On a 2-core
# machine the competitor alone is 50 % of the host, so a target of 0.7 leaves
# the pipeline 20 % while it runs (the default); with a target below 0.5 the
# pipeline can only back off to its longest interval.
#   examples/controller/run_step_load.sh OUT_DIR [LOAD_AT=20] [LOAD_FOR=20] [TARGET=0.7]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BIN="$ROOT/build/${FACEKIT_PRESET:-release}/facekit"
OUT="${1:?usage: run_step_load.sh OUT_DIR [LOAD_AT] [LOAD_FOR]}"
LOAD_AT="${2:-20}"
LOAD_FOR="${3:-20}"
TARGET="${4:-0.7}"
mkdir -p "$OUT"
( sleep "$LOAD_AT"; timeout "$LOAD_FOR" sh -c 'while :; do :; done' || true ) &
LOADER=$!
trap 'kill $LOADER 2>/dev/null || true' EXIT
"$BIN" pipeline run "$ROOT/examples/controller/step_load.json" --set target="$TARGET" --threads 2 --trace "$OUT/trace.csv" \
  > /dev/null 2> "$OUT/profile.txt"
"$BIN" pipeline plot "$OUT/trace.csv" --out "$OUT/trace.png" --target "$TARGET" \
  --title "$(nproc) cores, 20 ms CPU per frame, one core busy from ${LOAD_AT} s for ${LOAD_FOR} s"
echo "$OUT/trace.csv $OUT/trace.png"
