#!/usr/bin/env bash
# The README's second command: the same set-up, then the whole test suite,
# once on the release build and once under AddressSanitizer +
# UndefinedBehaviorSanitizer (FACEKIT_SANITIZERS=0 skips the second run).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$ROOT/scripts/setup.sh"
cd "$ROOT"
ctest --preset "${FACEKIT_PRESET:-release}" -j"$(nproc)"
if [ "${FACEKIT_SANITIZERS:-1}" != "0" ] && [ "${FACEKIT_PRESET:-release}" != "asan" ]; then
  echo "[test] AddressSanitizer + UndefinedBehaviorSanitizer build" >&2
  [ -f build/asan/build.ninja ] || cmake --preset asan >/dev/null
  cmake --build --preset asan
  ctest --preset asan -j"$(nproc)"
fi
