#!/usr/bin/env bash
# The cost of a block on a server iotax was not built around (issue 14):
# the foreign thread-per-connection echo server (servers/foreign) under one
# load, with `iotax report` attached, next to the CPU per request that the
# foreign server and the bundled epoll and io_uring servers actually spend
# under the same load, each measured in a run of its own without iotax.
#
#   clients/foreign/cost_per_block_check.sh BIN_DIR SERVER CONNS RATE SECONDS
#
#   SERVER   the foreign server binary (e.g. build/bin/iotax-foreign-tpc)
#   CONNS    client connections; RATE 0 = closed loop (one request in flight
#            per connection), else open loop at RATE requests/s (Poisson)
#   SECONDS  measured window per run (each run lasts SECONDS + 3 s)
#
# Servers on CPU 0, the io_uring load client on CPU 1 (at real-time priority
# in open loop),
# 512 B messages over loopback; four runs one after the other (about
# 4 x (SECONDS + 4) + 12 s). Prints one line per run and, last, one line
#   check CONNS RATE: iotax overhead X% saving Y% level L method M | actual
#   saving vs epoll E% vs io_uring U%
# Server CPU from /proc/PID/stat (utime + stime) over the measured window.
# Needs root (BPF). Kills only the processes it started, by PID.
set -euo pipefail

if [[ $# -ne 5 ]]; then
  echo "usage: $0 BIN_DIR SERVER CONNS RATE SECONDS" >&2
  exit 2
fi
BIN_DIR=$1 FOREIGN=$2 CONNS=$3 RATE=$4 SECONDS_=$5
CLIENT="$BIN_DIR/iotax-echo-client"
ECHO="$BIN_DIR/iotax-echo-server"
IOTAX="$BIN_DIR/iotax"
for prog in "$CLIENT" "$ECHO" "$IOTAX" "$FOREIGN"; do
  [[ -x "$prog" ]] || { echo "check: $prog not found or not executable" >&2; exit 1; }
done
command -v jq >/dev/null || { echo "check: jq is missing" >&2; exit 1; }
[[ $(id -u) -eq 0 ]] || { echo "check: needs root (BPF, real-time client)" >&2; exit 1; }

SERVER_CPU=0 CLIENT_CPU=1
HZ=$(getconf CLK_TCK)
WORK=$(mktemp -d /tmp/iotax-check.XXXXXX)
SERVER_PID="" CLIENT_PID="" REPORT_PID=""
cleanup() {
  if [[ -n "$REPORT_PID" ]] && kill -0 "$REPORT_PID" 2>/dev/null; then
    kill -TERM "$REPORT_PID" 2>/dev/null || true; wait "$REPORT_PID" 2>/dev/null || true
  fi
  for pid in "$CLIENT_PID" "$SERVER_PID"; do
    if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
      kill -KILL "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
    fi
  done
  if [[ -n "${IOTAX_CHECK_KEEP:-}" ]]; then echo "check: kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
taskset -p -c "$CLIENT_CPU" $$ >/dev/null  # this shell and what it starts, off the server's CPU

cpu_ticks() { local s; s=$(<"/proc/$1/stat"); s=${s##*) }; awk '{ print $12 + $13 }' <<<"$s"; }

LOAD_ARGS=(--conns="$CONNS" --msg-size=512)
# Open loop: the client at real-time priority keeps its send schedule (see
# clients/demo.sh). Closed loop it never sleeps, so there it runs at normal
# priority, or nothing else would get CPU 1 (iotax report could not attach).
if [[ "$RATE" != 0 ]]; then LOAD_ARGS+=(--rate="$RATE" --realtime); fi

# run NAME REPORT(0|1) SERVER-COMMAND...: sets CPU_US[NAME] and RPS[NAME].
declare -A CPU_US RPS
run() {
  local name=$1 with_report=$2; shift 2
  taskset -c "$SERVER_CPU" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
  SERVER_PID=$!
  local port=""
  for _ in $(seq 100); do
    port=$(sed -n -e 's/^port \([0-9]\+\)$/\1/p' -e 's/^listening on 127\.0\.0\.1:\([0-9]\+\).*/\1/p' \
           "$WORK/$name.out" | head -n1)
    [[ -n "$port" ]] && break
    sleep 0.1
  done
  [[ -n "$port" ]] || { echo "check: $name server printed no port" >&2; cat "$WORK/$name.err" >&2; exit 1; }
  # Attaching the report can take seconds on a busy machine: its run's load
  # lasts 12 s longer, so that the report's window never outlives it.
  "$CLIENT" --model=uring --port="$port" "${LOAD_ARGS[@]}" --duration="$((SECONDS_ + 3 + 12 * with_report))s" --warmup=1s \
    --cpus="$CLIENT_CPU" --json --allow-invalid >"$WORK/$name-client.json" 2>"$WORK/$name-client.err" &
  CLIENT_PID=$!
  sleep 1.5
  local before t_before
  if [[ "$with_report" == 1 ]]; then
    timeout 60 "$IOTAX" report --pid="$SERVER_PID" --duration="${SECONDS_}s" --json \
      >"$WORK/report.json" 2>"$WORK/report.err" &
    REPORT_PID=$!
    for _ in $(seq 1000); do
      grep -q '^iotax: measuring PID' "$WORK/report.err" && break
      kill -0 "$REPORT_PID" 2>/dev/null || break
      sleep 0.01
    done
    before=$(cpu_ticks "$SERVER_PID"); t_before=$EPOCHREALTIME
    wait "$REPORT_PID" || { echo "check: iotax report failed" >&2; cat "$WORK/report.err" >&2; exit 1; }
    REPORT_PID=""
    kill -0 "$CLIENT_PID" 2>/dev/null || { echo "check: the load ended before iotax report's window did" >&2; exit 1; }
  else
    before=$(cpu_ticks "$SERVER_PID"); t_before=$EPOCHREALTIME
    sleep "$SECONDS_"
  fi
  local after t_after
  after=$(cpu_ticks "$SERVER_PID"); t_after=$EPOCHREALTIME
  wait "$CLIENT_PID" || true
  CLIENT_PID=""
  kill -KILL "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
  RPS[$name]=$(jq -r '.throughput_rps' "$WORK/$name-client.json")
  CPU_US[$name]=$(awk -v t="$((after - before))" -v hz="$HZ" -v r="${RPS[$name]}" -v a="$t_after" -v b="$t_before" \
                  'BEGIN { printf "%.2f", t / hz / (r * (a - b)) * 1e6 }')
  local valid
  valid=$(jq -r 'if .valid then "clean" else "NOT CLEAN: " + (.invalid_reasons | join("; ")) end' "$WORK/$name-client.json")
  printf 'run %-14s %8.0f req/s  %6s us CPU/request  (%s)\n' "$name" "${RPS[$name]}" "${CPU_US[$name]}" "$valid"
}

run foreign 0 "$FOREIGN" 0
run foreign+iotax 1 "$FOREIGN" 0
run epoll 0 "$ECHO" --model=epoll --port=0
run uring 0 "$ECHO" --model=uring --port=0

t='.targets[0]'
jq -r "$t.verdict | \"iotax: overhead \(.overhead_share * 1000 | round / 10)% saving \(.estimated_saving_share * 1000 | round / 10)% level \(.level) (\(.confidence))\"" "$WORK/report.json"
jq -r "$t.syscalls[] | select(.blocked_calls > 0) | \"  class \(.class): \(.blocked_calls) blocked, method \(.tier2_method), price/block \((.price_per_block_seconds // 0) * 1e9 | round) ns, sleep path \(.mean_sleep_path_seconds * 1e9 | round) ns, resume path \(.mean_resume_path_seconds * 1e9 | round) ns, own work \((.own_work_seconds // 0) * 1e9 | round) ns, baseline \((.baseline_price_seconds // 0) * 1e9 | round) ns (sound: \(.baseline_sound))\"" \
  "$WORK/report.json"
jq -r "$t.verdict.summary" "$WORK/report.json"
awk -v f="${CPU_US[foreign]}" -v e="${CPU_US[epoll]}" -v u="${CPU_US[uring]}" \
    -v o="$(jq -r "$t.verdict.overhead_share" "$WORK/report.json")" \
    -v s="$(jq -r "$t.verdict.estimated_saving_share" "$WORK/report.json")" \
    -v l="$(jq -r "$t.verdict.level" "$WORK/report.json")" -v c="$CONNS" -v r="$RATE" \
    'BEGIN { printf "check %s %s: iotax overhead %.1f%% saving %.1f%% level %s | actual saving vs epoll %.1f%% vs io_uring %.1f%%\n",
             c, r, o * 100, s * 100, l, (f - e) / f * 100, (f - u) / f * 100 }'
