#!/usr/bin/env bash
# The iotax demo (what `make demo` runs until the agent exists): each echo
# server model under the same closed-loop load, one table comparing them.
#
#   clients/demo.sh BIN_DIR
#
# For each model (blocking, epoll, uring) it starts
#   iotax-echo-server --model=M --port=0 --cpus=0
# reads the port it prints, runs iotax-echo-client (io_uring client, CPU 1,
# 10 connections, 512 B, 3 s, no warm-up so the server's CPU covers exactly
# the measured requests), stops the server by its PID and prints throughput,
# latency and the server's CPU per request from /proc/PID/stat.
set -euo pipefail

BIN_DIR=${1:-}
if [[ -z "$BIN_DIR" ]]; then
  echo "usage: $0 BIN_DIR   (the build's bin directory, e.g. build/bin)" >&2
  exit 2
fi
SERVER="$BIN_DIR/iotax-echo-server"
CLIENT="$BIN_DIR/iotax-echo-client"
for prog in "$SERVER" "$CLIENT"; do
  if [[ ! -x "$prog" ]]; then
    echo "demo: $prog not found or not executable: build first (make build)" >&2
    exit 1
  fi
done

MODELS=${IOTAX_DEMO_MODELS:-"blocking epoll uring"}
DURATION=${IOTAX_DEMO_DURATION:-3s}
CONNS=10
MSG_SIZE=512
SERVER_CPU=0
CLIENT_CPU=1
if [[ $(nproc) -lt 2 ]]; then  # one CPU: share it rather than fail
  CLIENT_CPU=0
fi
TICKS_PER_S=$(getconf CLK_TCK)

WORK=$(mktemp -d /tmp/iotax-demo.XXXXXX)
SERVER_PID=""
cleanup() {
  # Only the server this script started, by its PID.
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -KILL "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# utime + stime of a process, in clock ticks (fields 14 and 15 of
# /proc/PID/stat, counted after the ")" that ends the command name).
cpu_ticks() {
  local stat
  stat=$(<"/proc/$1/stat")
  stat=${stat##*) }
  awk '{ print $12 + $13 }' <<<"$stat"
}

# Value of "key": in the client's one-line JSON (first occurrence).
json_field() {
  grep -o "\"$2\":[^,}]*" <<<"$1" | head -n1 | cut -d: -f2 | tr -d '"'
}

stop_server() {
  kill -TERM "$SERVER_PID" 2>/dev/null || true
  for _ in $(seq 50); do
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}

ROWS=()
FAILED=0
for model in $MODELS; do
  out="$WORK/server-$model.out"
  "$SERVER" --model="$model" --port=0 --cpus="$SERVER_CPU" >"$out" 2>&1 &
  SERVER_PID=$!
  port=""
  for _ in $(seq 100); do
    port=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]\+\).*/\1/p' "$out" | head -n1)
    [[ -n "$port" ]] && break
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  if [[ -z "$port" ]]; then
    if kill -0 "$SERVER_PID" 2>/dev/null; then
      echo "demo: the $model server did not print 'listening on 127.0.0.1:PORT' within 10 s:" >&2
    else
      echo "demo: the $model server exited before listening:" >&2
    fi
    sed 's/^/  /' "$out" >&2
    stop_server
    ROWS+=("$(printf '%-9s %12s %9s %9s %14s  %s' "$model" - - - - "server did not start")")
    FAILED=1
    continue
  fi

  before=$(cpu_ticks "$SERVER_PID")
  rc=0
  json=$(timeout 120 "$CLIENT" --model=uring --port="$port" --conns="$CONNS" --msg-size="$MSG_SIZE" \
         --duration="$DURATION" --warmup=0s --cpus="$CLIENT_CPU" --json 2>"$WORK/client-$model.err") || rc=$?
  after=$(cpu_ticks "$SERVER_PID")
  stop_server

  if [[ -z "$json" ]]; then
    echo "demo: the client failed against the $model server (exit $rc):" >&2
    sed 's/^/  /' "$WORK/client-$model.err" >&2
    ROWS+=("$(printf '%-9s %12s %9s %9s %14s  %s' "$model" - - - - "client failed")")
    FAILED=1
    continue
  fi
  requests=$(json_field "$json" requests)
  rps=$(json_field "$json" throughput_rps)
  p50=$(json_field "$json" p50)
  p99=$(json_field "$json" p99)
  valid=$(json_field "$json" valid)
  errors=$(json_field "$json" errors)
  verdict="valid"
  if [[ "$valid" != "true" ]]; then
    verdict="INVALID: $(sed -n 's/^  - //p' "$WORK/client-$model.err" | head -n1)"
    FAILED=1
  fi
  ROWS+=("$(awk -v m="$model" -v rps="$rps" -v p50="$p50" -v p99="$p99" -v req="$requests" \
               -v t="$((after - before))" -v hz="$TICKS_PER_S" -v v="$verdict" -v e="$errors" 'BEGIN {
    cpu = req > 0 ? t / hz / req * 1e6 : 0
    printf "%-9s %12.0f %9.1f %9.1f %14.2f  %s (%d errors)", m, rps, p50 / 1e3, p99 / 1e3, cpu, v, e }')")
done

echo
echo "iotax demo: echo servers on CPU $SERVER_CPU, io_uring client on CPU $CLIENT_CPU," \
     "$CONNS connections, $MSG_SIZE B messages, closed loop depth 1, $DURATION"
printf '%-9s %12s %9s %9s %14s  %s\n' model "requests/s" "p50 (us)" "p99 (us)" "server us/req" result
for row in "${ROWS[@]}"; do echo "$row"; done
echo "(server CPU from /proc/PID/stat utime+stime over the run, ${TICKS_PER_S} ticks/s;" \
     "on loopback the client's sends also pay for part of the server's TCP receive work)"
exit "$FAILED"
