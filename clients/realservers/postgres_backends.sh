#!/usr/bin/env bash
# A database that runs one process per connection (issue 15): PostgreSQL 15
# from Debian, each backend waiting in epoll_wait on its one client socket
# (and its latch), under its own benchmark client, pgbench, select-only
# (one query, one round trip per transaction), CONNS connections, closed
# loop. The server runs on CPU 0 and pgbench on CPU 1, over loopback.
#
# While pgbench runs, `iotax report --comm postgres` takes the service
# verdict over all backends. What it must say: the backends' blocked
# epoll_waits are a blocking design (about one ready descriptor per wake, one
# socket per process) and are costed as IO; the verdict is not "no blocking
# measured". There is no async PostgreSQL to measure a saving against, so
# this run checks the judgement, not the size.
#
#   clients/realservers/postgres_backends.sh BIN_DIR OUT_DIR [SECONDS=10] [CONNS=16]
#
# Installs postgresql with apt-get when missing. A throw-away cluster in a
# temporary directory, on a free port, run as user postgres; stopped (by its
# postmaster PID) and removed at the end. Needs root (BPF).
set -euo pipefail

die() { echo "postgres-backends: $*" >&2; exit 1; }
if [[ $# -lt 2 || $# -gt 4 ]]; then
  echo "usage: $0 BIN_DIR OUT_DIR [SECONDS=10] [CONNS=16]" >&2
  exit 2
fi
bin=$1 OUT=$2 SECS=${3:-10} CONNS=${4:-16}
[[ $(id -u) -eq 0 ]] || die "needs root (BPF)"
[[ -x "$bin/iotax" ]] || die "$bin/iotax not found: build first (make build)"
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [[ -z "$pgbin" ]]; then
  echo "postgres-backends: installing postgresql" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends postgresql >/dev/null ||
    die "apt-get install postgresql failed"
  pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
fi
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
work=$(mktemp -d /tmp/iotax-pg.XXXXXX)
chown postgres "$work"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
pm=""
cleanup() {
  [[ -n "$pm" ]] && kill -INT "$pm" 2>/dev/null && for _ in $(seq 50); do kill -0 "$pm" 2>/dev/null || break; sleep 0.1; done
  rm -rf "$work"
}
trap cleanup EXIT
as_pg() { runuser -u postgres -- "$@"; }

as_pg "$pgbin/initdb" -D "$work/data" -A trust >/dev/null
as_pg taskset -c 0 "$pgbin/postgres" -D "$work/data" -p "$port" -k "$work" -c listen_addresses=127.0.0.1 \
  -c max_connections=$((CONNS + 10)) -c shared_buffers=64MB >"$work/server.log" 2>&1 &
for _ in $(seq 100); do
  pm=$(head -1 "$work/data/postmaster.pid" 2>/dev/null || true)
  [[ -n "$pm" ]] && as_pg "$pgbin/pg_isready" -q -h 127.0.0.1 -p "$port" && break
  sleep 0.1
done
as_pg "$pgbin/pg_isready" -q -h 127.0.0.1 -p "$port" || die "postgres did not start: $(tail -3 "$work/server.log")"
as_pg "$pgbin/pgbench" -h 127.0.0.1 -p "$port" -i -s 4 postgres >/dev/null 2>&1 || die "pgbench -i failed"

echo "postgres-backends: pgbench -S -c $CONNS for $((SECS + 4)) s; iotax report --comm postgres for $SECS s"
as_pg taskset -c 1 "$pgbin/pgbench" -h 127.0.0.1 -p "$port" -S -c "$CONNS" -j 1 -T $((SECS + 4)) -n postgres \
  >"$OUT/pgbench.txt" 2>&1 &
client=$!
sleep 2
taskset -c 1 "$bin/iotax" report --comm postgres --duration "${SECS}s" >"$OUT/report.txt" 2>&1 || true
taskset -c 1 "$bin/iotax" report --comm postgres --duration 2s --json >"$OUT/report.json" 2>/dev/null || true
wait "$client" || die "pgbench failed: $(tail -3 "$OUT/pgbench.txt")"

tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$OUT/pgbench.txt" | head -1)
echo "pgbench: ${tps:-?} transactions/s"
sed -n '/^Verdict/,/^Why/p' "$OUT/report.txt"
grep -E "poll|epoll|select" "$OUT/report.txt" | head -5 || true
