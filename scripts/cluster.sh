#!/usr/bin/env bash
# scripts/cluster.sh - a FaceKit cluster on this machine (docs/scale-out.md):
# a private PostgreSQL 15, a 3-member etcd and N `facekit serve` nodes on
# loopback sharing the gallery (--store) and registered in etcd (--etcd), all
# data under one folder.
#
#   scripts/cluster.sh up N      start (or restart) it with N nodes; prints the URLs and an admin key
#   scripts/cluster.sh status    what runs, the nodes registered in etcd
#   scripts/cluster.sh down      stop everything (the data stays; `up` again reuses it)
#
# Environment: CLUSTER_DIR (default build/cluster), FACEKIT (default
# build/release/facekit), MODELS (default: the binary's own), ETCD_PORT (first
# etcd port, default 23790: clients 23790, 23792, 23794, peers one above each),
# SERVE_ARGS (more `facekit serve` options for every node, e.g. "--index-rows fp16").
# Needs postgresql-15 and etcd-server (scripts/setup.sh installs them).
set -euo pipefail

cd "$(dirname "$0")/.."
DIR=$(realpath -m "${CLUSTER_DIR:-build/cluster}")
FACEKIT=$(realpath -m "${FACEKIT:-build/release/facekit}")
MODELS_ARG=()
[[ -n "${MODELS:-}" ]] && MODELS_ARG=(--models "$MODELS")
read -r -a SERVE_EXTRA <<<"${SERVE_ARGS:-}"
ETCD_PORT=${ETCD_PORT:-23790}
PG_BIN=/usr/lib/postgresql/15/bin
PG_DIR=$DIR/pg
STORE="postgresql:///postgres?host=$PG_DIR&user=facekit"
ETCD_ENDPOINTS="127.0.0.1:$ETCD_PORT,127.0.0.1:$((ETCD_PORT + 2)),127.0.0.1:$((ETCD_PORT + 4))"

die() { echo "cluster.sh: $*" >&2; exit 1; }
alive() { [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

# PostgreSQL refuses to run as root: as root, its commands run as `postgres`.
as_pg() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_up() {
  [[ -x $PG_BIN/initdb ]] || die "PostgreSQL 15 is not installed (apt-get install postgresql-15)"
  mkdir -p "$PG_DIR"
  if [[ $(id -u) -eq 0 ]]; then
    chown postgres: "$PG_DIR"
    runuser -u postgres -- test -w "$PG_DIR" ||
      die "the postgres user cannot reach $PG_DIR: every folder above it must be searchable by others (chmod o+x)"
  fi
  if [[ ! -f $PG_DIR/data/PG_VERSION ]]; then
    as_pg "$PG_BIN/initdb" -D "$PG_DIR/data" -U facekit --auth=trust -E UTF8 --locale=C >"$DIR/pg-initdb.log" 2>&1 ||
      die "initdb failed, see $DIR/pg-initdb.log"
  fi
  if ! as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" status >/dev/null 2>&1; then
    # Unix socket in $PG_DIR only: no TCP port is taken.
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
      -o "-k $PG_DIR -c listen_addresses= -c max_connections=100" start >/dev/null ||
      die "PostgreSQL did not start, see $PG_DIR/server.log"
  fi
}

etcd_up() {
  command -v etcd >/dev/null || die "etcd is not installed (apt-get install etcd-server etcd-client)"
  mkdir -p "$DIR/etcd"
  local initial="" i
  for i in 0 1 2; do
    initial+="${initial:+,}e$i=http://127.0.0.1:$((ETCD_PORT + 2 * i + 1))"
  done
  for i in 0 1 2; do
    alive "$DIR/etcd/e$i.pid" && continue
    local client=127.0.0.1:$((ETCD_PORT + 2 * i)) peer=http://127.0.0.1:$((ETCD_PORT + 2 * i + 1))
    local state=new
    [[ -d $DIR/etcd/e$i/member ]] && state=existing
    nohup etcd --name "e$i" --data-dir "$DIR/etcd/e$i" \
      --listen-client-urls "http://$client" --advertise-client-urls "http://$client" \
      --listen-peer-urls "$peer" --initial-advertise-peer-urls "$peer" \
      --initial-cluster "$initial" --initial-cluster-state "$state" --initial-cluster-token facekit-cluster \
      >"$DIR/etcd/e$i.log" 2>&1 &
    echo $! >"$DIR/etcd/e$i.pid"
  done
  local tries=0
  until ETCDCTL_API=3 etcdctl --endpoints "$ETCD_ENDPOINTS" --dial-timeout 2s put /facekit/cluster-up "$(date -u +%FT%TZ)" >/dev/null 2>&1; do
    tries=$((tries + 1))
    ((tries < 60)) || die "etcd took no write within 60 s, see $DIR/etcd/*.log"
    sleep 1
  done
}

nodes_up() {
  local n=$1 i
  [[ -x $FACEKIT ]] || die "no facekit binary at $FACEKIT (cmake --build --preset release)"
  # One admin key, the same on every node (keys.db is copied before the nodes start).
  mkdir -p "$DIR/node-1"
  if [[ ! -f $DIR/admin.key ]]; then
    "$FACEKIT" "${MODELS_ARG[@]}" keys create --data "$DIR/node-1" --role admin --credential >"$DIR/admin.key"
  fi
  for ((i = 1; i <= n; i++)); do
    local data=$DIR/node-$i
    mkdir -p "$data"
    [[ $i -gt 1 && ! -f $data/keys.db ]] && cp "$DIR/node-1/keys.db" "$data/keys.db"
    alive "$data/serve.pid" && continue
    : >"$data/serve.out"
    nohup "$FACEKIT" "${MODELS_ARG[@]}" serve --data "$data" --listen 127.0.0.1:0 --workers 2 \
      --store "$STORE" --etcd "$ETCD_ENDPOINTS" --node-id "node-$i" --cluster-key-file "$DIR/admin.key" \
      "${SERVE_EXTRA[@]}" >"$data/serve.out" 2>"$data/serve.log" &
    echo $! >"$data/serve.pid"
  done
  for ((i = 1; i <= n; i++)); do
    local data=$DIR/node-$i tries=0
    until grep -q "serving on" "$data/serve.out" 2>/dev/null; do
      alive "$data/serve.pid" || die "node-$i stopped at start, see $data/serve.log"
      tries=$((tries + 1))
      ((tries < 600)) || die "node-$i did not start within 60 s, see $data/serve.log"
      sleep 0.1
    done
    grep -o "serving on http://[0-9.:]*" "$data/serve.out" | head -1 | cut -d' ' -f3 >"$data/url"
  done
  # Ready once each node has indexed its shards of the shard map (/readyz).
  for ((i = 1; i <= n; i++)); do
    local data=$DIR/node-$i tries=0
    until [[ $(curl -s "$(cat "$data/url")/readyz" 2>/dev/null) == ready ]]; do
      alive "$data/serve.pid" || die "node-$i stopped at start, see $data/serve.log"
      tries=$((tries + 1))
      ((tries < 6000)) || die "node-$i did not index its shards within 600 s, see $data/serve.log"
      sleep 0.1
    done
  done
}

status() {
  echo "folder: $DIR"
  if as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" status >/dev/null 2>&1; then
    echo "postgresql: running  --store '$STORE'"
  else
    echo "postgresql: stopped"
  fi
  local i
  for i in 0 1 2; do
    if alive "$DIR/etcd/e$i.pid"; then echo "etcd e$i: running  127.0.0.1:$((ETCD_PORT + 2 * i))"; else echo "etcd e$i: stopped"; fi
  done
  for pidfile in "$DIR"/node-*/serve.pid; do
    [[ -f $pidfile ]] || continue
    local data name
    data=$(dirname "$pidfile")
    name=$(basename "$data")
    if alive "$pidfile"; then echo "$name: running  $(cat "$data/url" 2>/dev/null)"; else echo "$name: stopped"; fi
  done
  if [[ -x $FACEKIT ]]; then "$FACEKIT" cluster status --etcd "$ETCD_ENDPOINTS" 2>&1 || true; fi
}

stop_pid() {  # SIGTERM, then SIGKILL after 15 s
  local pidfile=$1
  alive "$pidfile" || { rm -f "$pidfile"; return 0; }
  local pid tries=0
  pid=$(cat "$pidfile")
  kill "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null; do
    tries=$((tries + 1))
    if ((tries > 150)); then kill -9 "$pid" 2>/dev/null || true; fi
    sleep 0.1
  done
  rm -f "$pidfile"
}

down() {
  local pidfile
  for pidfile in "$DIR"/node-*/serve.pid; do [[ -f $pidfile ]] && stop_pid "$pidfile"; done
  for pidfile in "$DIR"/etcd/e*.pid; do [[ -f $pidfile ]] && stop_pid "$pidfile"; done
  if [[ -f $PG_DIR/data/PG_VERSION ]] && as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" status >/dev/null 2>&1; then
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null
  fi
  echo "cluster.sh: stopped (data kept in $DIR)"
}

case "${1:-}" in
  up)
    n=${2:-3}
    [[ $n =~ ^[0-9]+$ && $n -ge 1 ]] || die "usage: cluster.sh up N (N >= 1)"
    mkdir -p "$DIR"
    pg_up
    etcd_up
    nodes_up "$n"
    echo "cluster.sh: $n node(s) up"
    for ((i = 1; i <= n; i++)); do echo "  node-$i  $(cat "$DIR/node-$i/url")"; done
    echo "  admin key (every node): $(cat "$DIR/admin.key")"
    echo "  store:  $STORE"
    echo "  etcd:   $ETCD_ENDPOINTS"
    ;;
  down) down ;;
  status) status ;;
  *) die "usage: cluster.sh up N | status | down" ;;
esac
