#!/usr/bin/env bash
# Builds the two experiment tools of docs/embedders.md ("Measured: score
# normalisation") against the release build's libraries (run after
# scripts/setup.sh; not part of the CMake build or the test command):
#   tools/score_norm_cv/build.sh   -> build/release/tools/{dump_embeddings,score_norm_cv}
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
B="$ROOT/build/release"
[ -f "$B/libfacekit.a" ] || { echo "build.sh: build the release preset first (scripts/setup.sh)" >&2; exit 1; }
LIBS=$(grep -A6 '^build facekit:' "$B/build.ninja" | grep LINK_LIBRARIES | sed 's/.*LINK_LIBRARIES = //')
mkdir -p "$B/tools"
cd "$B"
for t in dump_embeddings score_norm_cv; do
  g++ -std=c++20 -O2 -Wall -Wextra -I"$ROOT/include" -I"$ROOT/src" -I/usr/include/opencv4 \
    "$ROOT/tools/score_norm_cv/$t.cc" -o "tools/$t" $LIBS
done
echo "built $B/tools/dump_embeddings and $B/tools/score_norm_cv"
