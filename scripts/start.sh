#!/usr/bin/env bash
# The README's first command: set up, build, then run the main job. Until the
# server exists that is a self-check: load every model, run detection,
# alignment and embedding on a real photo with per-stage timings, then
# print `facekit --help`.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$ROOT/scripts/setup.sh"
BIN="$ROOT/build/${FACEKIT_PRESET:-release}/facekit"
IMAGE="${FACEKIT_SELFCHECK_IMAGE:-$ROOT/../shared/data/faces/photos/obama-480p.jpg}"
if [ -f "$IMAGE" ]; then
  "$BIN" --models "$ROOT/models" selfcheck --image "$IMAGE"
else
  echo "[start] no photo at $IMAGE (set FACEKIT_SELFCHECK_IMAGE to any photo with a face to run the self-check)" >&2
fi
"$BIN" --help
