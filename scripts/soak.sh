#!/usr/bin/env bash
# Crash-safety soak (not part of the test command): a real `facekit serve`
# under 4 writers and 2 readers, killed with SIGKILL at a random point 100
# times and restarted; after each restart every acknowledged write must be
# there and nothing half-written. Prints one JSON object (cycles, writes
# acknowledged, lost, half-written, restart time p50/p99); exit 1 on any loss.
#   scripts/soak.sh [--cycles N] [--writers N] [--readers N] [--seed S] ...
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="$ROOT/build/${FACEKIT_PRESET:-release}/facekit"
[ -x "$BIN" ] || { echo "soak: build first (scripts/setup.sh)" >&2; exit 2; }
exec "$BIN" bench soak --photos "$ROOT/../shared/data/lfw-view1/deepfunneled" --cycles 100 --json "$@"
