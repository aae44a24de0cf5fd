#!/usr/bin/env bash
# The indirect part without a PMU against its reference (issue 14, part 3):
# for each working set, the bundled blocking server with `iotax report`
# attached (the user-time estimate per block, its path and counts), next to
# the user CPU per request the blocking and epoll servers spend under the
# same load in runs of their own without iotax (the user-time gap, what the
# estimate should approach).
#
#   clients/foreign/indirect_check.sh BIN_DIR CONNS RATE SECONDS REPEATS WORK_BYTES...
#
# RATE 0 = closed loop, else open loop at RATE requests/s (real-time client).
# Server on CPU 0, client on CPU 1, 512 B. User CPU from /proc/PID/stat
# (utime) over the measured window. Needs root. Kills only what it started.
set -euo pipefail

die() { echo "indirect_check: $*" >&2; exit 1; }
[[ $# -ge 6 ]] || { echo "usage: $0 BIN_DIR CONNS RATE SECONDS REPEATS WORK_BYTES..." >&2; exit 2; }
bin=$1 CONNS=$2 RATE=$3 SECONDS_=$4 REPEATS=$5; shift 5
[[ $(id -u) -eq 0 ]] || die "needs root (BPF)"
out=$(mktemp -d /tmp/iotax-ind.XXXXXX)
source "$(dirname "$(realpath "$0")")/../measure_lib.sh"
trap 'cleanup; rm -rf "$out"' EXIT
taskset -p -c 1 $$ >/dev/null
LOAD=(--conns="$CONNS" --msg-size=512)
[[ "$RATE" != 0 ]] && LOAD+=(--rate="$RATE" --realtime)
utime() { awk '{print $14}' "/proc/$1/stat"; }

# run MODEL WORK REPORT(0|1): prints "user_us_per_request" (and leaves report.json when REPORT=1).
run() {
  local model=$1 work=$2 with=$3 server port client before after t0 t1 rps
  taskset -c 0 "$bin/iotax-echo-server" --model="$model" --port=0 --work-bytes="$work" >"$out/s.out" 2>"$out/s.err" &
  server=$!; pids+=("$server")
  wait_for_line "$out/s.out" '^listening on' 10 || die "server did not start: $(tail -3 "$out/s.err")"
  port=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]\+\).*/\1/p' "$out/s.out")
  "$bin/iotax-echo-client" --model=uring --port="$port" "${LOAD[@]}" --duration="$((SECONDS_ + 3 + 12 * with))s" \
    --warmup=1s --cpus=1 --json --allow-invalid >"$out/c.json" 2>"$out/c.err" &
  client=$!; pids+=("$client")
  sleep 1.5
  if [[ $with == 1 ]]; then
    timeout 60 "$bin/iotax" report --pid="$server" --duration="${SECONDS_}s" --json --calibration=none \
      >"$out/report.json" 2>"$out/report.err" &
    local rep=$!; pids+=("$rep")
    wait_for_line "$out/report.err" '^iotax: measuring PID' 30 || true
    before=$(utime "$server"); t0=$EPOCHREALTIME
    wait "$rep" || die "iotax report failed: $(tail -3 "$out/report.err")"; forget "$rep"
  else
    before=$(utime "$server"); t0=$EPOCHREALTIME
    sleep "$SECONDS_"
  fi
  after=$(utime "$server"); t1=$EPOCHREALTIME
  wait "$client" || true; forget "$client"
  kill -KILL "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; forget "$server"
  rps=$(jq -r '.throughput_rps' "$out/c.json")
  awk -v t="$((after - before))" -v hz="$clk_tck" -v r="$rps" -v a="$t1" -v b="$t0" \
    'BEGIN { printf "%.3f\n", t / hz / (r * (a - b)) * 1e6 }'
}

echo "# load before: $(cut -d' ' -f1-3 /proc/loadavg); $CONNS conns, rate $RATE (0 = closed loop), 512 B, ${SECONDS_}s windows"
echo "# work_bytes rep user_us/req(blocking) user_us/req(epoll) gap_us | iotax: indirect_ns/block blocks/req(traced) indirect_us/req path n_blocked n_plain mean_after_blocked_ns mean_after_plain_ns"
for work in "$@"; do
  for rep in $(seq "$REPEATS"); do
    ub=$(run blocking "$work" 0)
    ue=$(run epoll "$work" 0)
    run blocking "$work" 1 >/dev/null
    jq -r --arg w "$work" --arg r "$rep" --arg ub "$ub" --arg ue "$ue" '.targets[0] as $t | $t.indirect as $i |
      ($t.verdict.blocked_io_calls) as $bl | ([$t.syscalls[] | select(.class == "net_read") | .calls] | add // 0) as $reads |
      "\($w) \($r) \($ub) \($ue) \((($ub|tonumber) - ($ue|tonumber)) * 1000 | round / 1000) | " +
      (if $i.available and $i.per_block_seconds != null then
         "\($i.per_block_seconds * 1e9 | round) \(if $reads > 0 then ($bl / $reads * 1000 | round / 1000) else 0 end) \(if $reads > 0 then ($i.per_block_seconds * $bl / $reads * 1e6 * 1000 | round / 1000) else 0 end) "
       else "unavailable - - " end) +
      (if $i.path then "\($i.path.before)->\($i.path.after) \($i.path.after_blocked_segments) \($i.path.after_nonblocked_segments) \(($i.path.mean_after_blocked_seconds // 0) * 1e9 | round) \(($i.path.mean_after_nonblocked_seconds // 0) * 1e9 | round)"
       else "no-path" end) +
      (if $i.available then "" else " (" + $i.missing_reason + ")" end)' "$out/report.json" | tee -a "$out/rows"
  done
done
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
