#!/usr/bin/env bash
# What taking stacks adds to what tracing costs a target: the blocking echo
# server at full closed-loop load, measured with nothing attached, with
# `iotax report` and with `iotax report --stacks` (user stacks at each
# blocked switch-out, on-CPU samples at 99 Hz), in a rotating order.
#
#   clients/overhead/stacks_overhead.sh [BIN_DIR] [ROUNDS] [SECONDS] [CONNS]
#
# Prints every run (with the 1-minute load after it), the medians and the median of per-round throughput
# ratios (with / without). Server on CPU 0, client on CPU 1, loopback only;
# it ends only the processes it started.
set -euo pipefail

bin=$(realpath "${1:-build/bin}")
rounds=${2:-5}
seconds=${3:-6}
conns=${4:-50}

[ "$(id -u)" -eq 0 ] || { echo "stacks_overhead.sh: needs root (iotax report loads BPF programs)" >&2; exit 2; }
command -v jq >/dev/null || { echo "stacks_overhead.sh: jq missing: apt-get install jq" >&2; exit 2; }

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

"$bin/iotax-echo-server" --model=blocking --port=0 --cpus=0 >"$work/server.out" 2>"$work/server.err" &
server=$!
pids+=("$server")
for _ in $(seq 50); do grep -q '^listening on' "$work/server.out" && break; sleep 0.1; done
port=$(sed -n 's/^listening on 127.0.0.1:\([0-9]*\)$/\1/p' "$work/server.out")
[ -n "$port" ] || { echo "server did not start: $(cat "$work/server.err")" >&2; exit 1; }

measure() { # tool -> throughput
  local tool=$1 tp tpid="" extra=()
  [ "$tool" = report-stacks ] && extra=(--stacks="$work/stacks")
  if [ "$tool" != none ]; then
    "$bin/iotax" report --pid "$server" --duration "$((seconds + 3))s" "${extra[@]}" >"$work/report.out" 2>"$work/report.err" &
    tpid=$!
    for _ in $(seq 200); do grep -q 'measuring PID' "$work/report.err" 2>/dev/null && break; sleep 0.1; done
  fi
  tp=$(timeout $((seconds + 30)) "$bin/iotax-echo-client" --model=uring --port="$port" --conns="$conns" \
    --msg-size=512 --duration="${seconds}s" --warmup=1s --cpus=1 --json --allow-invalid | jq -r .throughput_rps)
  if [ -n "$tpid" ]; then kill -INT "$tpid" 2>/dev/null || true; wait "$tpid" 2>/dev/null || true; fi
  echo "$tp"
}

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

order=(none report report-stacks)
echo "round tool throughput_rps load_1m   (blocking server, $conns conns, 512 B, closed loop, ${seconds}s runs; load: $(cut -d' ' -f1-3 /proc/loadavg))"
for r in $(seq "$rounds"); do
  for i in 0 1 2; do
    tool=${order[$(( (i + r) % 3 ))]}
    tp=$(measure "$tool")
    # The 1-minute load after each run: a run next to a busy neighbour shows.
    echo "$r $tool $tp $(cut -d' ' -f1 /proc/loadavg)" | tee -a "$work/runs"
  done
done
echo
printf '%-15s %14s %22s\n' tool median_rps median_round_ratio
for tool in none report report-stacks; do
  m=$(awk -v t="$tool" '$2==t{print $3}' "$work/runs" | median)
  q=$(awk -v t="$tool" '$2=="none"{b[$1]=$3} $2==t{v[$1]=$3} END {for (r in v) if (b[r] > 0) print v[r] / b[r]}' "$work/runs" | median)
  printf '%-15s %14.0f %22.4f\n' "$tool" "$m" "$q"
done
echo "(ratio = throughput with the tool / without, per round, median over rounds; load after: $(cut -d' ' -f1-3 /proc/loadavg))"
