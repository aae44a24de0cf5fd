#!/usr/bin/env bash
# Does the write after a blocked read cost more because it wakes the peer?
# (issue 14: the kernel half overshoots in a closed loop, model-error §5.)
# bpftrace on iotax-foreign-tpc under a closed loop: each write that follows
# a read, split by whether that read blocked (a voluntary switch during it)
# and whether the write woke a task (a sched_wakeup while the writer was in
# it), with its count and mean time; writes that left the CPU are counted
# apart. A probe, not the model: iotax does not split calls this way.
#
#   clients/foreign/write_wakes.sh [BIN_DIR] [CONNS=20] [SIZE=8192] [WORK=10:16384] [SECONDS=8]
#
# Server on CPU 0, io_uring client on CPU 1, loopback; ends only what it started.
set -euo pipefail
bin=$(realpath "${1:-build/bin}") conns=${2:-20} size=${3:-8192} work=${4:-10:16384} secs=${5:-8}
[ "$(id -u)" -eq 0 ] || { echo "write_wakes.sh: needs root (bpftrace)" >&2; exit 2; }
command -v bpftrace >/dev/null || { echo "write_wakes.sh: bpftrace missing (apt-get install bpftrace)" >&2; exit 2; }
[[ $work =~ ^[0-9]+(:[0-9]+)?$ ]] || { echo "write_wakes.sh: WORK is US or US:BYTES" >&2; exit 2; }
out=$(mktemp -d)
source "$(dirname "$(realpath "$0")")/../measure_lib.sh" # pids, cleanup, wait_for_line, mount_tracefs
restore() {
  cleanup
  unmount_tracefs
  rm -rf "$out"
}
trap restore EXIT
mount_tracefs
args=(--work-us="${work%%:*}")
[[ $work == *:* ]] && args+=(--work-bytes="${work#*:}")
taskset -c 0 "$bin/iotax-foreign-tpc" 0 "${args[@]}" >"$out/server.out" 2>"$out/server.err" &
server=$!
pids+=("$server")
wait_for_line "$out/server.out" '^port ' 10 || { echo "write_wakes.sh: server did not start" >&2; exit 1; }
port=$(sed -n 's/^port \([0-9]*\)$/\1/p' "$out/server.out")
S=$server
bpftrace -e "
tracepoint:syscalls:sys_enter_read /pid == $S/ { @rsw[tid] = curtask->nvcsw + 1; }
tracepoint:syscalls:sys_exit_read /@rsw[tid]/ { @blk[tid] = (curtask->nvcsw + 1 != @rsw[tid]) + 1; delete(@rsw[tid]); }
tracepoint:syscalls:sys_enter_write /@blk[tid]/ { @wts[tid] = nsecs; @wsw[tid] = curtask->nvcsw + curtask->nivcsw; @woke[tid] = 0; }
tracepoint:sched:sched_wakeup /@wts[tid]/ { @woke[tid] = 1; }
tracepoint:syscalls:sys_exit_write /@wts[tid]/ {
  if (curtask->nvcsw + curtask->nivcsw == @wsw[tid]) {
    @write_ns[@blk[tid] - 1, @woke[tid]] = avg(nsecs - @wts[tid]);
    @writes[@blk[tid] - 1, @woke[tid]] = count();
  } else {
    @left_cpu[@blk[tid] - 1] = count();
  }
  delete(@wts[tid]); delete(@wsw[tid]); delete(@blk[tid]); delete(@woke[tid]);
}
interval:s:$((secs + 2)) { exit(); }
END { clear(@rsw); clear(@blk); clear(@wts); clear(@wsw); clear(@woke); }" >"$out/bt.out" 2>&1 &
bt=$!
pids+=("$bt")
sleep 2 # attached
"$bin/iotax-echo-client" --model=uring --port="$port" --conns="$conns" --msg-size="$size" --duration="${secs}s" \
  --warmup=1s --cpus=1 --json --allow-invalid >"$out/client.json" 2>"$out/client.err" &
client=$!
pids+=("$client")
wait "$client" || true
forget "$client"
wait "$bt" || true
forget "$bt"
echo "# iotax-foreign-tpc ${args[*]}, $conns conns, $size B, closed loop; [read blocked, write woke a task]"
grep -v '^Attaching' "$out/bt.out"
echo "throughput_rps $(jq -r '.throughput_rps' "$out/client.json")"
