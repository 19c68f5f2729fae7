#!/usr/bin/env bash
# The README's second command: the same set-up, then the whole test suite,
# once on the release build and once under AddressSanitizer +
# UndefinedBehaviorSanitizer (FACEKIT_SANITIZERS=0 skips the second run), with
# a 30-second smoke run of every fuzz target in between (FACEKIT_FUZZ_SMOKE=0
# skips it; scripts/fuzz.sh, docs/fuzzing.md).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$ROOT/scripts/setup.sh"
cd "$ROOT"
ctest --preset "${FACEKIT_PRESET:-release}" -j"$(nproc)"
if [ "${FACEKIT_FUZZ_SMOKE:-1}" != "0" ]; then
  echo "[test] fuzz smoke run (clang + libFuzzer, 30 s per target; docs/fuzzing.md)" >&2
  scripts/fuzz.sh --smoke
fi
if [ "${FACEKIT_SANITIZERS:-1}" != "0" ] && [ "${FACEKIT_PRESET:-release}" != "asan" ]; then
  echo "[test] AddressSanitizer + UndefinedBehaviorSanitizer build" >&2
  [ -f build/asan/build.ninja ] || cmake --preset asan >/dev/null
  cmake --build --preset asan
  ctest --preset asan -j"$(nproc)" -LE release-binary  # tests of build/release/facekit ran above
fi
