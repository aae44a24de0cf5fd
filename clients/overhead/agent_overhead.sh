#!/usr/bin/env bash
# What attaching iotaxd costs a target, measured on the blocking echo server at
# full closed-loop load, side by side with an equivalent bpftrace script
# (equivalent.bt: syscall latency histogram + switch count, pid filter).
#
#   clients/overhead/agent_overhead.sh [BIN_DIR] [ROUNDS] [SECONDS] [CONNS] [SAMPLE] [PERIOD]
#
# Each round runs the client four times against the same server: with nothing
# attached, with iotaxd tracing every event (the default), with iotaxd
# --sample=SAMPLE --sample-period=PERIOD (default 10% of 1s: the per-event
# probes attached 100 ms of every second; runs of a few seconds need periods
# much shorter than iotaxd's 10 s default, and more windows cost more, so
# this errs on the expensive side) and with bpftrace, in a rotating order so
# drift on a noisy machine hits all alike. Prints every run, then the
# medians and the throughput ratios (with / without). Server on CPU 0, client
# on CPU 1, loopback only; it ends only the processes it started.
set -euo pipefail

bin=$(realpath "${1:-build/bin}")
rounds=${2:-5}
seconds=${3:-10}
conns=${4:-50}
sample=${5:-10%}
period=${6:-1s}
here=$(dirname "$(realpath "$0")")

[ "$(id -u)" -eq 0 ] || { echo "agent_overhead.sh: needs root (iotaxd and bpftrace load BPF programs)" >&2; exit 2; }
command -v bpftrace >/dev/null || { echo "agent_overhead.sh: bpftrace missing: apt-get install bpftrace" >&2; exit 2; }
command -v jq >/dev/null || { echo "agent_overhead.sh: jq missing: apt-get install jq" >&2; exit 2; }

work=$(mktemp -d)
pids=()
mounted_tracefs=0
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ "$mounted_tracefs" -eq 1 ] && umount /sys/kernel/tracing 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# bpftrace's tracepoint probes need tracefs; iotaxd (tp_btf) does not.
if [ ! -e /sys/kernel/tracing/events ]; then
  mount -t tracefs nodev /sys/kernel/tracing
  mounted_tracefs=1
fi

"$bin/iotax-echo-server" --model=blocking --port=0 --cpus=0 --backlog=4096 >"$work/server.out" 2>"$work/server.err" &
server=$!
pids+=("$server")
for _ in $(seq 50); do grep -q '^listening on' "$work/server.out" && break; sleep 0.1; done
port=$(sed -n 's/^listening on 127.0.0.1:\([0-9]*\)$/\1/p' "$work/server.out")
[ -n "$port" ] || { echo "server did not start: $(cat "$work/server.err")" >&2; exit 1; }

wait_for() { # file pattern: wait up to 20 s for a line
  for _ in $(seq 200); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  echo "timed out waiting for '$2' in $1" >&2; return 1
}

run_client() { # -> throughput
  timeout $((seconds + 30)) "$bin/iotax-echo-client" --model=uring --port="$port" --conns="$conns" \
    --msg-size=512 --duration="${seconds}s" --warmup=1s --cpus=1 --json --allow-invalid | jq -r .throughput_rps
}

measure() { # tool -> throughput
  local tool=$1 tp tpid=""
  case $tool in
    none) ;;
    iotaxd)
      "$bin/iotaxd" --pid "$server" --listen=127.0.0.1:0 >"$work/iotaxd.out" 2>&1 &
      tpid=$!
      wait_for "$work/iotaxd.out" 'listening on' ;;
    iotaxd-sampled)
      "$bin/iotaxd" --pid "$server" --listen=127.0.0.1:0 --sample="$sample" --sample-period="$period" >"$work/iotaxd.out" 2>&1 &
      tpid=$!
      wait_for "$work/iotaxd.out" 'listening on' ;;
    bpftrace)
      bpftrace "$here/equivalent.bt" "$server" >"$work/bpftrace.out" 2>&1 &
      tpid=$!
      wait_for "$work/bpftrace.out" 'Attaching' ; sleep 1 ;;
  esac
  tp=$(run_client)
  if [ -n "$tpid" ]; then kill -INT "$tpid"; wait "$tpid" 2>/dev/null || true; fi
  echo "$tp"
}

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

order=(none iotaxd iotaxd-sampled bpftrace)
echo "round tool throughput_rps   (blocking server, $conns conns, 512 B, closed loop, ${seconds}s runs; load: $(cut -d' ' -f1-3 /proc/loadavg))"
for r in $(seq "$rounds"); do
  for i in 0 1 2 3; do
    tool=${order[$(( (i + r) % 4 ))]}
    tp=$(measure "$tool")
    echo "$r $tool $tp" | tee -a "$work/runs"
  done
done

echo
printf '%-15s %14s %12s\n' tool median_rps ratio
base=$(awk '$2=="none"{print $3}' "$work/runs" | median)
for tool in none iotaxd iotaxd-sampled bpftrace; do
  m=$(awk -v t="$tool" '$2==t{print $3}' "$work/runs" | median)
  awk -v t="$tool" -v m="$m" -v b="$base" 'BEGIN {printf "%-15s %14.0f %12.4f\n", t, m, m / b}'
done
echo "(ratio = median throughput with the tool / median with nothing attached; iotaxd-sampled: --sample=$sample --sample-period=$period)"
echo
# The bare server on this VM switches between two speeds (~107k and ~150k
# req/s here) from run to run; a ratio within one round is less exposed to
# that than a ratio of medians, so both are printed.
printf '%-15s %22s\n' tool median_round_ratio
for tool in iotaxd iotaxd-sampled bpftrace; do
  m=$(awk -v t="$tool" '$2=="none"{b[$1]=$3} $2==t{v[$1]=$3} END {for (r in v) if (b[r] > 0) print v[r] / b[r]}' "$work/runs" | median)
  printf '%-15s %22.4f\n' "$tool" "$m"
done
