#!/usr/bin/env bash
# Builds the fuzz targets (preset `fuzz`: clang, libFuzzer, ASan + UBSan,
# build/fuzz) and runs them (docs/fuzzing.md).
#   scripts/fuzz.sh [--smoke] [--time SECONDS] [--jobs N] [TARGET...]
# Default: every target for 600 s, two at a time; --smoke: 30 s each (the test
# command's run). Each run keeps its corpus in build/fuzz/corpus/<target>
# (seeded by scripts/fuzz_corpus.sh), its log in build/fuzz/logs/<target>.log
# and any crash, leak, timeout or out-of-memory input in
# build/fuzz/artifacts/<target>/. Before fuzzing, every committed regression
# input (tests/fuzz/regressions/<target>/) is run once. Exits non-zero on any
# finding. Leak detection is on; -timeout=10 s per input flags hangs and
# -rss_limit_mb=2048 runaway memory.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

ALL=(base64 image signature cloud_request rest graph tflite tfjs snapshot)
SECONDS_EACH=600
JOBS="${FACEKIT_FUZZ_JOBS:-2}"
TARGETS=()
while (($#)); do
  case "$1" in
    --smoke) SECONDS_EACH=30 ;;
    --time) SECONDS_EACH="$2"; shift ;;
    --jobs) JOBS="$2"; shift ;;
    -h|--help) sed -n 2,13p "$0"; exit 0 ;;
    -*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
    *) TARGETS+=("$1") ;;
  esac
  shift
done
((${#TARGETS[@]})) || TARGETS=("${ALL[@]}")
for t in "${TARGETS[@]}"; do
  [[ " ${ALL[*]} " == *" $t "* ]] || { echo "fuzz.sh: unknown target $t (targets: ${ALL[*]})" >&2; exit 2; }
done

log() { printf '\033[1m[fuzz]\033[0m %s\n' "$*" >&2; }

B=build/fuzz
[ -f "$B/build.ninja" ] || cmake --preset fuzz >/dev/null
log "building (preset fuzz)"
nice -n 19 cmake --build --preset fuzz
log "seeding corpora"
scripts/fuzz_corpus.sh "$ROOT/$B" >/dev/null

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:allocator_may_return_null=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
mkdir -p "$B/logs"

# run TARGET: regressions, then fuzzing; prints one summary line; returns non-zero on a finding.
run() {
  local t="$1" bin="$B/tests/fuzz/${1}_fuzz" art="$B/artifacts/$1/" logf="$B/logs/$1.log" dict=() reg
  mkdir -p "$art" "$B/corpus/$t"
  case "$t" in
    cloud_request|signature|rest) dict=(-dict=tests/fuzz/dict/http.dict) ;;
    graph|tfjs) dict=(-dict=tests/fuzz/dict/json.dict) ;;
  esac
  reg="tests/fuzz/regressions/$t"
  if [ -d "$reg" ] && [ -n "$(ls -A "$reg")" ]; then
    if ! nice -n 19 "$bin" -timeout=10 -rss_limit_mb=2048 "$reg"/* >"$B/logs/$t.regressions.log" 2>&1; then
      echo "$t: FAILED on a committed regression input (see $B/logs/$t.regressions.log)"
      return 1
    fi
  fi
  local rc=0
  nice -n 19 "$bin" "${dict[@]}" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 \
    -malloc_limit_mb=2048 -detect_leaks=1 -print_final_stats=1 -artifact_prefix="$art" \
    "$B/corpus/$t" >"$logf" 2>&1 || rc=$?
  local runs execs cov ft corp
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$logf" | grep -o '[0-9]*$' || true)
  execs=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$logf" | grep -o '[0-9]*$' || true)
  cov=$(grep -o 'cov: [0-9]*' "$logf" | tail -1 | grep -o '[0-9]*' || true)
  ft=$(grep -o 'ft: [0-9]*' "$logf" | tail -1 | grep -o '[0-9]*' || true)
  corp=$(grep -o 'corp: [0-9]*/[0-9]*[a-zA-Z]*' "$logf" | tail -1 | cut -d' ' -f2 || true)
  if ((rc == 0)); then
    printf '%-14s ok     %6ss  runs %-10s exec/s %-7s cov %-6s ft %-7s corpus %s\n' \
      "$t" "$SECONDS_EACH" "${runs:-?}" "${execs:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}"
  else
    printf '%-14s FAILED (exit %s): %s; artefacts in %s, log %s\n' "$t" "$rc" \
      "$(grep -m1 -oE 'ERROR: [A-Za-z]+: [^ ]+( [^ ]+)?|runtime error: .*|deadly signal|ERROR: libFuzzer: [a-z-]+' "$logf" || echo 'see log')" \
      "$art" "$logf"
  fi
  return "$rc"
}

log "running ${TARGETS[*]}: ${SECONDS_EACH}s each, $JOBS at a time"
status=0
results="$B/logs/summary.txt"
: >"$results"
pids=()
for t in "${TARGETS[@]}"; do
  while (($(jobs -rp | wc -l) >= JOBS)); do wait -n || true; done
  (run "$t" >>"$results") &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || status=1; done
cat "$results"
if ((status)); then log "findings: see above"; else log "no findings"; fi
exit "$status"
