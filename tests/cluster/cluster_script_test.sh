#!/usr/bin/env bash
# scripts/cluster.sh as the README shows it: `up 3` in a temporary folder, a
# person enrolled through node-1 is found by a search on node-3, `status`
# lists the three nodes registered in etcd, a node killed with -9 leaves the
# list when its lease expires, `down` stops everything, and `up` again serves
# the same gallery. In a network namespace of its own when possible (as root),
# so etcd's fixed ports meet no other process; otherwise on ports checked free.
# Skipped (77) when PostgreSQL 15, etcd or the release build is absent.
set -euo pipefail
SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

if [ "${1:-}" != "--inside" ]; then
  [ -x /usr/lib/postgresql/15/bin/initdb ] || { echo "SKIP: PostgreSQL 15 not installed (apt-get install postgresql-15)"; exit 77; }
  command -v etcd >/dev/null || { echo "SKIP: etcd not installed (apt-get install etcd-server etcd-client)"; exit 77; }
  command -v etcdctl >/dev/null || { echo "SKIP: etcdctl not installed (apt-get install etcd-client)"; exit 77; }
  [ -x "$SRC/build/release/facekit" ] || { echo "SKIP: build/release/facekit is not built"; exit 77; }
  if unshare -n true 2>/dev/null; then exec unshare -n bash "${BASH_SOURCE[0]}" --inside --netns; fi
  exec bash "${BASH_SOURCE[0]}" --inside
fi
if [ "${2:-}" = "--netns" ]; then
  ip link set lo up
else
  # Six consecutive free ports for the three etcd members.
  for base in $(seq 24000 10 24990 | shuf); do
    free=1
    for p in $(seq "$base" $((base + 5))); do
      if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then free=0; break; fi
    done
    if [ $free = 1 ]; then export ETCD_PORT=$base; break; fi
  done
fi

export CLUSTER_DIR
CLUSTER_DIR="$(mktemp -d /tmp/fkcluster-XXXXXX)"
chmod 755 "$CLUSTER_DIR"  # PostgreSQL runs as the postgres user when we are root
trap 'bash "$SRC/scripts/cluster.sh" down >/dev/null 2>&1 || true; rm -rf "$CLUSTER_DIR"' EXIT
fail() { echo "FAIL: $*"; for f in "$CLUSTER_DIR"/node-*/serve.log; do echo "== $f"; tail -5 "$f"; done; exit 1; }
B="$SRC/build/release/facekit"
FACES="$SRC/../shared/data/faces/bbt"

bash "$SRC/scripts/cluster.sh" up 3 || fail "up 3"
KEY="$(cat "$CLUSTER_DIR/admin.key")"
url() { cat "$CLUSTER_DIR/node-$1/url"; }

mkdir -p "$CLUSTER_DIR/people/penny" "$CLUSTER_DIR/people/sheldon"
cp "$FACES/penny/penny1.png" "$CLUSTER_DIR/people/penny/"
cp "$FACES/sheldon/sheldon1.png" "$CLUSTER_DIR/people/sheldon/"
enrolled="$("$B" gallery enroll --server "$(url 1)" --key "$KEY" --group bbt "$CLUSTER_DIR/people" --json)"
[[ $enrolled == *'"enrolled":2'* ]] || fail "enrol through node-1: $enrolled"

search_on() {  # the verdict's person id on node $1, or ""
  "$B" gallery search --server "$(url "$1")" --key "$KEY" --group bbt "$FACES/penny/penny2.png" --json 2>/dev/null |
    sed -n 's/.*"verdict":{[^}]*"person_id":"\([^"]*\)".*/\1/p'
}
found=""
for _ in $(seq 100); do
  found="$(search_on 3)"
  [ "$found" = penny ] && break
  sleep 0.1
done
[ "$found" = penny ] || fail "node-3 did not find the person enrolled through node-1 (got '$found')"

members() { "$B" cluster status --etcd "127.0.0.1:${ETCD_PORT:-23790}" --json | grep -o '"node_id"' | wc -l; }
[ "$(members)" = 3 ] || fail "status does not list 3 nodes"
status="$(bash "$SRC/scripts/cluster.sh" status)"
[[ $status == *"node-2: running"* ]] || fail "status: $status"

# kill -9: gone from etcd when its lease (5 s) expires; the others still answer.
kill -9 "$(cat "$CLUSTER_DIR/node-2/serve.pid")"
n=3
for _ in $(seq 150); do
  n="$(members)"
  [ "$n" = 2 ] && break
  sleep 0.1
done
[ "$n" = 2 ] || fail "the killed node is still registered"
[ "$(search_on 1)" = penny ] || fail "node-1 stopped answering"

stopped="$(bash "$SRC/scripts/cluster.sh" down)"
[[ $stopped == *stopped* ]] || fail "down: $stopped"
for f in "$CLUSTER_DIR"/node-*/serve.pid "$CLUSTER_DIR"/etcd/*.pid; do
  [ -e "$f" ] && fail "$f left behind"
done

# Up again on the same folder: the same gallery, from PostgreSQL.
bash "$SRC/scripts/cluster.sh" up 2 >/dev/null || fail "up 2 again"
[ "$(search_on 2)" = penny ] || fail "the gallery did not survive down/up"
echo "cluster.sh: up, search across nodes, kill -9, status, down, up again: OK"
