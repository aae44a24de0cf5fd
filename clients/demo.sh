#!/usr/bin/env bash
# The iotax demo (`make demo`): the thread-per-connection (blocking) and the
# io_uring echo servers under the same open-loop load, one after the other,
# each measured by `iotax report` while it serves; both verdicts side by side
# with the server CPU per request the load actually cost.
#
#   clients/demo.sh BIN_DIR
#
# Steps (under a minute):
#   1. a quick calibration of the async cost at two other loads
#      (iotax calibrate --rates=10000,40000 --duration=2s, into a temporary
#      file), so the verdicts interpolate a measured figure at this load;
#      IOTAX_DEMO_CALIBRATION=PATH uses an existing file instead;
#   2. for each model: iotax-echo-server --model=M --port=0 --cpus=0, the
#      io_uring load client on CPU 1 (100 connections, 512 B, Poisson
#      arrivals at 20000 requests/s), and iotax report --pid SERVER
#      --duration 5s --json during the load; the server's CPU over the same
#      5 s from /proc/PID/stat;
#   3. one table, the two summaries, and the ground truth: the measured CPU
#      difference per request against the saving iotax predicted from the
#      blocking server alone.
# Needs root (BPF). Kills only the processes it started.
set -euo pipefail

BIN_DIR=${1:-}
if [[ -z "$BIN_DIR" ]]; then
  echo "usage: $0 BIN_DIR   (the build's bin directory, e.g. build/bin)" >&2
  exit 2
fi
SERVER="$BIN_DIR/iotax-echo-server"
CLIENT="$BIN_DIR/iotax-echo-client"
IOTAX="$BIN_DIR/iotax"
for prog in "$SERVER" "$CLIENT" "$IOTAX"; do
  if [[ ! -x "$prog" ]]; then
    echo "demo: $prog not found or not executable: build first (make build)" >&2
    exit 1
  fi
done
if ! command -v jq >/dev/null; then
  echo "demo: jq is missing: apt-get install jq (make deps installs it)" >&2
  exit 1
fi
if [[ $(id -u) -ne 0 ]]; then
  echo "demo: iotax needs root to load its BPF probes: run sudo make demo" >&2
  exit 1
fi

CONNS=100
MSG_SIZE=512
RATE=${IOTAX_DEMO_RATE:-20000}   # well below the blocking server's saturation on one CPU
MEASURE_S=5
SERVER_CPU=0
CLIENT_CPU=1
if [[ $(nproc) -lt 2 ]]; then  # one CPU: share it rather than fail
  CLIENT_CPU=0
fi
TICKS_PER_S=$(getconf CLK_TCK)

WORK=$(mktemp -d /tmp/iotax-demo.XXXXXX)
SERVER_PID=""
CLIENT_PID=""
cleanup() {
  # Only the processes this script started, by their PIDs.
  for pid in "$CLIENT_PID" "$SERVER_PID"; do
    if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
      kill -KILL "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    fi
  done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# utime + stime of a process in clock ticks (fields 14 and 15 of
# /proc/PID/stat, counted after the ")" that ends the command name).
cpu_ticks() {
  local stat
  stat=$(<"/proc/$1/stat")
  stat=${stat##*) }
  awk '{ print $12 + $13 }' <<<"$stat"
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

# 1. The async cost, measured here at two other loads.
CALIBRATION=${IOTAX_DEMO_CALIBRATION:-}
if [[ -z "$CALIBRATION" ]]; then
  CALIBRATION="$WORK/calibration.json"
  echo "demo: calibrating the async cost at 10k and 40k requests/s (about 20 s)..." >&2
  if ! "$IOTAX" calibrate --rates=10000,40000 --duration=2s --repeat=1 --conns="$CONNS" --msg-size="$MSG_SIZE" \
       --server-cpu="$SERVER_CPU" --client-cpu="$CLIENT_CPU" --bin-dir="$BIN_DIR" \
       --output="$CALIBRATION" >"$WORK/calibrate.out" 2>"$WORK/calibrate.err"; then
    echo "demo: iotax calibrate failed:" >&2
    sed 's/^/  /' "$WORK/calibrate.err" >&2
    exit 1
  fi
fi

# 2. Each model under the same load.
declare -A REPORT CPU_US RPS P99 VALID
for model in blocking uring; do
  out="$WORK/server-$model.out"
  "$SERVER" --model="$model" --port=0 --cpus="$SERVER_CPU" >"$out" 2>"$WORK/server-$model.err" &
  SERVER_PID=$!
  port=""
  for _ in $(seq 100); do
    port=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]\+\).*/\1/p' "$out" | head -n1)
    [[ -n "$port" ]] && break
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  if [[ -z "$port" ]]; then
    echo "demo: the $model server did not print 'listening on 127.0.0.1:PORT':" >&2
    sed 's/^/  /' "$WORK/server-$model.err" >&2
    exit 1
  fi
  echo "demo: $model server (PID $SERVER_PID) under $RATE requests/s; iotax report for ${MEASURE_S}s..." >&2
  "$CLIENT" --model=uring --port="$port" --conns="$CONNS" --msg-size="$MSG_SIZE" --rate="$RATE" \
    --duration="$((MEASURE_S + 3))s" --warmup=1s --cpus="$CLIENT_CPU" --json --allow-invalid \
    >"$WORK/client-$model.json" 2>"$WORK/client-$model.err" &
  CLIENT_PID=$!
  sleep 1.5  # connected and warmed up
  before=$(cpu_ticks "$SERVER_PID")
  if ! timeout 60 "$IOTAX" report --pid="$SERVER_PID" --duration="${MEASURE_S}s" --json \
       --calibration="$CALIBRATION" >"$WORK/report-$model.json" 2>"$WORK/report-$model.err"; then
    echo "demo: iotax report failed on the $model server:" >&2
    sed 's/^/  /' "$WORK/report-$model.err" >&2
    exit 1
  fi
  after=$(cpu_ticks "$SERVER_PID")
  wait "$CLIENT_PID" || true
  CLIENT_PID=""
  stop_server
  if ! jq -e . "$WORK/client-$model.json" >/dev/null 2>&1; then
    echo "demo: the load client failed against the $model server:" >&2
    sed 's/^/  /' "$WORK/client-$model.err" >&2
    exit 1
  fi
  RPS[$model]=$(jq -r '.throughput_rps' "$WORK/client-$model.json")
  P99[$model]=$(jq -r '.latency_ns.p99 / 1000 | floor' "$WORK/client-$model.json")
  VALID[$model]=$(jq -r 'if .valid then "" else " (client run not clean: " + (.invalid_reasons | join("; ")) + ")" end' \
                  "$WORK/client-$model.json")
  CPU_US[$model]=$(awk -v t="$((after - before))" -v hz="$TICKS_PER_S" -v r="${RPS[$model]}" -v s="$MEASURE_S" \
                   'BEGIN { printf "%.2f", t / hz / (r * s) * 1e6 }')
  REPORT[$model]="$WORK/report-$model.json"
done

# 3. Side by side.
v() { jq -r ".targets[0].verdict | $2" "${REPORT[$1]}"; }
pct() { awk -v x="$1" 'BEGIN { if (x == "null") print "-"; else printf "%.1f%%", x * 100 }'; }
ci() { jq -r ".targets[0].verdict.$2 | if . == null then \"\" else \"[\" + (map(. * 1000 | round / 10 | tostring + \"%\") | join(\", \")) + \"]\" end" "${REPORT[$1]}"; }
row() { printf '  %-30s %-30s %s\n' "$1" "$2" "$3"; }

echo
echo "iotax demo: the same open-loop load on each server (pinned to CPU $SERVER_CPU; client on CPU $CLIENT_CPU):"
echo "$CONNS connections, $MSG_SIZE B requests, Poisson arrivals at $RATE requests/s; iotax measured ${MEASURE_S} s of each."
echo
row "" "blocking (thread/connection)" "io_uring (one event loop)"
row "requests/s (client)" "$(printf '%.0f' "${RPS[blocking]}")" "$(printf '%.0f' "${RPS[uring]}")"
row "p99 latency (client)" "${P99[blocking]} us" "${P99[uring]} us"
row "server CPU per request" "${CPU_US[blocking]} us" "${CPU_US[uring]} us"
traced_us() { jq -r --arg r "${RPS[$1]}" '.targets[0] | .cpu_seconds / (($r | tonumber) * .window_seconds) * 1e6 * 100 | round / 100' "${REPORT[$1]}"; }
row "  (as traced by iotax)" "$(traced_us blocking) us" "$(traced_us uring) us"
row "threads" "$(jq -r '.targets[0].latency.threads' "${REPORT[blocking]}")" \
    "$(jq -r '.targets[0].latency.threads' "${REPORT[uring]}")"
row "iotax: blocking overhead" "$(pct "$(v blocking .overhead_share)") $(ci blocking overhead_share_ci)" \
    "$(pct "$(v uring .overhead_share)") $(ci uring overhead_share_ci)"
row "iotax: async saving" "$(pct "$(v blocking .estimated_saving_share)") $(ci blocking estimated_saving_share_ci)" \
    "$(pct "$(v uring .estimated_saving_share)") $(ci uring estimated_saving_share_ci)"
row "iotax: run-queue wait p99" \
    "$(v blocking '.runqueue_wait_p99_seconds | if . == null then "-" else (. * 1e6 | floor | tostring) + " us" end')" \
    "$(v uring '.runqueue_wait_p99_seconds | if . == null then "-" else (. * 1e6 | floor | tostring) + " us" end')"
row "iotax: verdict" "$(v blocking '(.level | ascii_upcase | gsub("_"; " ")) + " (" + .confidence + ")"')" \
    "$(v uring '(.level | ascii_upcase | gsub("_"; " ")) + " (" + .confidence + ")"')"
echo
echo "blocking: $(v blocking .summary)${VALID[blocking]}"
echo "io_uring: $(v uring .summary)${VALID[uring]}"
echo
awk -v b="${CPU_US[blocking]}" -v u="${CPU_US[uring]}" -v s="$(v blocking .estimated_saving_share)" 'BEGIN {
  printf "Ground truth: the blocking server used %.2f us more CPU per request than the io_uring server (%.0f%% of its CPU);\n", b - u, (b - u) / b * 100
  printf "iotax, from the blocking server alone, predicted %.0f%% x %.2f us = %.2f us per request.\n", s * 100, b, s * b
}'
echo "(server CPU from /proc/PID/stat over the ${MEASURE_S} s iotax measured, ${TICKS_PER_S} ticks/s; async cost from" \
     "$(v blocking .async_cost_source); details: iotax report --pid PID, or iotaxd --pid PID and http://127.0.0.1:9464/)"
