#!/usr/bin/env bash
# The README's second command: the same set-up, then the whole test suite.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$ROOT/scripts/setup.sh"
cd "$ROOT"
ctest --preset "${FACEKIT_PRESET:-release}" -j"$(nproc)"
