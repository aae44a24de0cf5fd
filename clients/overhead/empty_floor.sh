#!/usr/bin/env bash
# What bpf_stats reads for next to nothing (issue 18): bpftrace programs with
# an empty body and only a pid filter on sys_enter, sys_exit, sched_switch and
# sched_wakeup, under the load of hotpath_ns.sh (blocking echo server on CPU 0,
# io_uring client on CPU 1, closed loop, 512 B). Prints each program's runs and
# ns per run (bpftool prog show, twice 5 s apart) and the client's throughput.
# A benchmark, not a test: run it on a quiet machine.
#
#   clients/overhead/empty_floor.sh [BIN_DIR] [CONNS]
set -euo pipefail

bin=$(realpath "${1:-build/bin}")
conns=${2:-64}
[ "$(id -u)" -eq 0 ] || { echo "empty_floor.sh: needs root (bpftrace, bpf_stats)" >&2; exit 2; }
for t in bpftrace bpftool python3; do
  command -v "$t" >/dev/null || { echo "empty_floor.sh: $t missing (apt-get install bpftrace bpftool python3)" >&2; exit 2; }
done

die() { echo "empty_floor.sh: $*" >&2; exit 1; }
out=$(mktemp -d)
# pids, cleanup, start_blocking_server (sets server and port), mount_tracefs.
source "$(dirname "$(realpath "$0")")/../measure_lib.sh"
stats_was=$(sysctl -n kernel.bpf_stats_enabled)
restore() {
  cleanup
  sysctl -qw kernel.bpf_stats_enabled="$stats_was"
  unmount_tracefs
  rm -rf "$out"
}
trap restore EXIT
mount_tracefs
sysctl -qw kernel.bpf_stats_enabled=1
start_blocking_server

f="/pid == $server/ { }"
bpftrace -e "tracepoint:raw_syscalls:sys_enter $f tracepoint:raw_syscalls:sys_exit $f
             tracepoint:sched:sched_switch $f tracepoint:sched:sched_wakeup $f" >"$out/bt.out" 2>&1 &
pids+=($!)
sleep 3 # attached
timeout 40 "$bin/iotax-echo-client" --model=uring --port="$port" --conns="$conns" --msg-size=512 --duration=8s \
  --warmup=1s --cpus=1 --json --allow-invalid >"$out/client.json" &
client=$!
pids+=("$client")
sleep 2
bpftool prog show -j >"$out/a.json"
sleep 5
bpftool prog show -j >"$out/b.json"
wait "$client"
forget "$client"
echo "program runs ns_per_run   ($conns conns, 512 B, closed loop; load: $(cut -d' ' -f1-3 /proc/loadavg))"
python3 - "$out/a.json" "$out/b.json" <<'PY'
import json, sys
a = {p["id"]: p for p in json.load(open(sys.argv[1]))}
for p in json.load(open(sys.argv[2])):
    if p.get("type") != "tracepoint" or p["id"] not in a:
        continue
    runs = p.get("run_cnt", 0) - a[p["id"]].get("run_cnt", 0)
    if runs > 0:
        print(f"{p.get('name')} {runs} {(p.get('run_time_ns', 0) - a[p['id']].get('run_time_ns', 0)) / runs:.1f}")
PY
echo "throughput_rps $(sed -n 's/.*"throughput_rps": *\([0-9.]*\).*/\1/p' "$out/client.json")"
