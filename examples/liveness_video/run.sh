#!/usr/bin/env bash
# Builds the synthetic active-liveness video set (deterministic) and measures
# the FaceChallenge node on it: APCER, BPCER, time to decision for the blink,
# turn and random challenges (docs/liveness-video.md).
#   examples/liveness_video/run.sh OUT_DIR [PEOPLE]
# Writes OUT_DIR/{live-blink,live-turn,live-all,spoof}/*.avi and
# OUT_DIR/{blink,turn,random,random-strict}.json; prints the summaries.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="${1:?usage: run.sh OUT_DIR [PEOPLE]}"
PEOPLE="${2:-6}"
B="${FACEKIT_BIN:-$ROOT/build/release/facekit}"
cd "$ROOT"
"$B" eval liveness-video-set --out "$OUT" --people "$PEOPLE" --lfw ../shared/data/lfw-view1/deepfunneled
for run in blink turn random random-strict; do
  c="${run%-strict}"
  live="live-$c"
  [ "$c" = random ] && live=live-all
  strict=()
  [ "$run" = random-strict ] && strict=(--strict)
  "$B" eval liveness-video --live "$OUT/$live" --spoof "$OUT/spoof" --challenge "$c" "${strict[@]}" --json > "$OUT/$run.json"
  node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const pc = (x) => (100 * x).toFixed(1) + "%";
    const sp = Object.entries(r.species).map(([k, v]) => `${k} ${pc(v.apcer)} (${v.accepted}/${v.attacks})`).join(", ");
    console.log(`${r.challenge}${r.strict ? " (strict)" : ""}: BPCER ${pc(r.bpcer)} of ${r.bona_fide}; APCER ${pc(r.apcer)} (pooled ${pc(r.apcer_pooled)}; ${sp}); ` +
                `time to decision live median ${r.accept_ms_median} ms, p90 ${r.accept_ms_p90} ms; timeouts median ${r.reject_ms_median} ms`);
  ' "$OUT/$run.json"
done
