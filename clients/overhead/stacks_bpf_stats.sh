#!/usr/bin/env bash
# Where the time of `iotax report --stacks` goes, per BPF program: the
# blocking echo server at full closed-loop load with `iotax report --stacks`
# attached (which turns kernel.bpf_stats_enabled on), then bpftool's
# run_cnt and run_time_ns of every program iotax loaded: runs per request
# and ns per run. Server on CPU 0, client on CPU 1, loopback only; it ends
# only the processes it started.
#
#   clients/overhead/stacks_bpf_stats.sh [BIN_DIR] [SECONDS] [CONNS]
set -euo pipefail

bin=$(realpath "${1:-build/bin}")
seconds=${2:-6}
conns=${3:-50}

[ "$(id -u)" -eq 0 ] || { echo "stacks_bpf_stats.sh: needs root" >&2; exit 2; }
for tool in jq bpftool; do command -v $tool >/dev/null || { echo "stacks_bpf_stats.sh: $tool missing" >&2; exit 2; }; done

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

"$bin/iotax" report --pid "$server" --duration "$((seconds + 30))s" --stacks="$work/stacks" >"$work/report.out" 2>"$work/report.err" &
report=$!
pids+=("$report")
for _ in $(seq 200); do grep -q 'measuring PID' "$work/report.err" 2>/dev/null && break; sleep 0.1; done
snapshot() { bpftool prog show --json | jq -r '.[] | select(.run_cnt != null) | "\(.id) \(.name) \(.run_cnt) \(.run_time_ns)"' | sort; }
snapshot >"$work/before"
requests=$(timeout $((seconds + 30)) "$bin/iotax-echo-client" --model=uring --port="$port" --conns="$conns" \
  --msg-size=512 --duration="${seconds}s" --warmup=0s --cpus=1 --json --allow-invalid | jq -r .requests)
snapshot >"$work/after"
kill -INT "$report" 2>/dev/null || true
wait "$report" 2>/dev/null || true

echo "blocking server, $conns conns, 512 B, closed loop, ${seconds}s: $requests requests; load: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-18s %12s %14s %12s %14s\n' program runs runs_per_req ns_per_run ns_per_req
# Only the programs iotax loaded during this run (ids not in `before` are not ours either: both snapshots have them).
join <(sort -k1,1 "$work/before") <(sort -k1,1 "$work/after") | awk -v req="$requests" '
  $2 ~ /^(iotax|stacks)/ { runs = $6 - $3; ns = $7 - $4; if (runs > 0)
    printf "%-18s %12d %14.3f %12.0f %14.0f\n", $2, runs, runs / req, ns / runs, ns / req }'
