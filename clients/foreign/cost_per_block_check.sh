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
#   SECONDS  measured window per run
#
# Servers on CPU 0, the io_uring load client on CPU 1 (at real-time priority
# in open loop), 512 B messages over loopback; four runs one after the other
# (about 4 x (SECONDS + 4) + 12 s). Prints one line per run, iotax's figures
# for the blocked classes, its summary and, last, one line
#   check CONNS RATE: iotax overhead X% saving Y% level L | actual saving vs
#   epoll E% vs io_uring U%
# where an actual saving is (foreign - other) / foreign CPU per request.
# Server CPU from /proc/PID/stat (utime + stime) over the measured window.
# IOTAX_CHECK_KEEP=1 keeps the logs. Needs root (BPF). Kills only the
# processes it started, by PID.
set -euo pipefail

die() { echo "check: $*" >&2; exit 1; }
if [[ $# -ne 5 ]]; then
  echo "usage: $0 BIN_DIR SERVER CONNS RATE SECONDS" >&2
  exit 2
fi
bin=$1 FOREIGN=$2 CONNS=$3 RATE=$4 SECONDS_=$5
for prog in "$bin/iotax-echo-client" "$bin/iotax-echo-server" "$bin/iotax" "$FOREIGN"; do
  [[ -x "$prog" ]] || die "$prog not found or not executable"
done
command -v jq >/dev/null || die "jq is missing"
[[ $(id -u) -eq 0 ]] || die "needs root (BPF, real-time client)"
out=$(mktemp -d /tmp/iotax-check.XXXXXX)
# pids, cleanup (every process started, by PID), forget, wait_for_line, cpu_ticks, clk_tck.
source "$(dirname "$(realpath "$0")")/../measure_lib.sh"
if [[ -z "${IOTAX_CHECK_KEEP:-}" ]]; then
  trap 'cleanup; rm -rf "$out"' EXIT
else
  trap 'cleanup; echo "check: kept $out" >&2' EXIT
fi

SERVER_CPU=0 CLIENT_CPU=1
taskset -p -c "$CLIENT_CPU" $$ >/dev/null  # this shell and what it starts, off the server's CPU
LOAD_ARGS=(--conns="$CONNS" --msg-size=512)
# Open loop: the client at real-time priority keeps its send schedule (see
# clients/demo.sh). Closed loop it never sleeps, so there it runs at normal
# priority, or nothing else would get CPU 1 (iotax report could not attach).
if [[ "$RATE" != 0 ]]; then LOAD_ARGS+=(--rate="$RATE" --realtime); fi

# run NAME REPORT(0|1) SERVER-COMMAND...: sets CPU_US[NAME] and RPS[NAME].
declare -A CPU_US RPS
run() {
  local name=$1 with_report=$2; shift 2
  taskset -c "$SERVER_CPU" "$@" >"$out/$name.out" 2>"$out/$name.err" &
  local server=$!
  pids+=("$server")
  wait_for_line "$out/$name.out" '^port \|^listening on' 10 || die "$name server did not start: $(tail -3 "$out/$name.err")"
  local port
  port=$(sed -n -e 's/^port \([0-9]\+\)$/\1/p' -e 's/^listening on 127\.0\.0\.1:\([0-9]\+\).*/\1/p' "$out/$name.out" | head -n1)
  # Attaching the report can take seconds on a busy machine: its run's load
  # lasts 12 s longer, so that the report's window never outlives it.
  "$bin/iotax-echo-client" --model=uring --port="$port" "${LOAD_ARGS[@]}" \
    --duration="$((SECONDS_ + 3 + 12 * with_report))s" --warmup=1s --cpus="$CLIENT_CPU" --json --allow-invalid \
    >"$out/$name-client.json" 2>"$out/$name-client.err" &
  local client=$!
  pids+=("$client")
  sleep 1.5
  local before t_before after t_after
  if [[ "$with_report" == 1 ]]; then
    timeout 60 "$bin/iotax" report --pid="$server" --duration="${SECONDS_}s" --json --calibration=none \
      >"$out/report.json" 2>"$out/report.err" &
    local report=$!
    pids+=("$report")
    wait_for_line "$out/report.err" '^iotax: measuring PID' 30 || true
    before=$(cpu_ticks "$server"); t_before=$EPOCHREALTIME
    wait "$report" || die "iotax report failed: $(tail -3 "$out/report.err")"
    forget "$report"
    kill -0 "$client" 2>/dev/null || die "the load ended before iotax report's window did"
  else
    before=$(cpu_ticks "$server"); t_before=$EPOCHREALTIME
    sleep "$SECONDS_"
  fi
  after=$(cpu_ticks "$server"); t_after=$EPOCHREALTIME
  wait "$client" || true
  forget "$client"
  kill -KILL "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  forget "$server"
  RPS[$name]=$(jq -r '.throughput_rps' "$out/$name-client.json")
  CPU_US[$name]=$(awk -v t="$((after - before))" -v hz="$clk_tck" -v r="${RPS[$name]}" -v a="$t_after" -v b="$t_before" \
                  'BEGIN { printf "%.2f", t / hz / (r * (a - b)) * 1e6 }')
  local valid
  valid=$(jq -r 'if .valid then "clean" else "NOT CLEAN: " + (.invalid_reasons | join("; ")) end' "$out/$name-client.json")
  printf 'run %-14s %8.0f req/s  %6s us CPU/request  (%s)\n' "$name" "${RPS[$name]}" "${CPU_US[$name]}" "$valid"
}

run foreign 0 "$FOREIGN" 0
run foreign+iotax 1 "$FOREIGN" 0
run epoll 0 "$bin/iotax-echo-server" --model=epoll --port=0
run uring 0 "$bin/iotax-echo-server" --model=uring --port=0

t='.targets[0]'
jq -r "$t.verdict | \"iotax: overhead \(.overhead_share * 1000 | round / 10)% saving \(.estimated_saving_share * 1000 | round / 10)% level \(.level) (\(.confidence))\"" "$out/report.json"
jq -r "$t.syscalls[] | select(.blocked_calls > 0) | \"  class \(.class): \(.blocked_calls) blocked, method \(.tier2_method), price/block \((.price_per_block_seconds // 0) * 1e9 | round) ns, sleep path \(.mean_sleep_path_seconds * 1e9 | round) ns, resume path \(.mean_resume_path_seconds * 1e9 | round) ns, own work \((.own_work_seconds // 0) * 1e9 | round) ns, baseline \((.baseline_price_seconds // 0) * 1e9 | round) ns (sound: \(.baseline_sound))\"" \
  "$out/report.json"
jq -r "$t.verdict | \"  async cost per call \((.async_cost_per_call_seconds // 0) * 1e9 | round) ns (idle share \((.async_cost_idle_share // 0) * 100 | round)%)\"" "$out/report.json"
jq -r "$t.verdict.summary" "$out/report.json"
awk -v f="${CPU_US[foreign]}" -v e="${CPU_US[epoll]}" -v u="${CPU_US[uring]}" \
    -v o="$(jq -r "$t.verdict.overhead_share" "$out/report.json")" \
    -v s="$(jq -r "$t.verdict.estimated_saving_share" "$out/report.json")" \
    -v l="$(jq -r "$t.verdict.level" "$out/report.json")" -v c="$CONNS" -v r="$RATE" \
    'BEGIN { printf "check %s %s: iotax overhead %.1f%% saving %.1f%% level %s | actual saving vs epoll %.1f%% vs io_uring %.1f%%\n",
             c, r, o * 100, s * 100, l, (f - e) / f * 100, (f - u) / f * 100 }'
