#!/usr/bin/env bash
# The README's first command: set up, build, run a self-check (load every
# model, run detection, alignment and embedding on a real photo with
# per-stage timings), then the main job: the server on 127.0.0.1:8080 with
# its data in ./facekit-data (FACEKIT_DATA, FACEKIT_LISTEN override them).
# Stop it with Ctrl-C (SIGINT) or SIGTERM: requests in flight finish.
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
DATA="${FACEKIT_DATA:-$ROOT/facekit-data}"
LISTEN="${FACEKIT_LISTEN:-127.0.0.1:8080}"
echo "[start] serving the cloud-compatible API on http://$LISTEN (docs/api-reference.md)" >&2
echo "[start] get an API key with: $BIN keys create --data $DATA --role admin" >&2
exec "$BIN" --models "$ROOT/models" serve --data "$DATA" --listen "$LISTEN"
