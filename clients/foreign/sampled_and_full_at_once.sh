#!/usr/bin/env bash
# Sampled and full tracing watching the same run (issue 14, part 2): two
# iotaxd attached at once to one foreign thread-per-connection server
# (iotax-foreign-tpc), one tracing every event, one --sample=10%. Separate
# runs (sampled_vs_full.sh) mix the two methods' difference with the run's
# own; here both see the same requests. One caveat the rows carry: inside
# the sampled agent's windows both agents' programs run, so the sampled one
# only ever sees the target traced twice (its direct cost per block is
# higher by about one set of switch programs).
#
#   clients/foreign/sampled_and_full_at_once.sh BIN_DIR REPEATS [VERDICT_SECONDS=20] [SAMPLE_PERIOD_SECONDS=2]
#
# 100 connections, closed loop, 512 B (io_uring client). Server on CPU 0,
# client and both agents on CPU 1, loopback. Per repeat and mode one row:
# level, saving %, and the indirect part's path figures (kernel and user
# half, the write's mean after a blocked and after a non-blocked read, how
# many non-blocked ones) and the direct cost per block. Needs root (BPF).
# Kills only the processes it started, by PID.
set -euo pipefail

die() { echo "sampled-and-full: $*" >&2; exit 1; }
[[ $# -ge 2 && $# -le 4 ]] || { echo "usage: $0 BIN_DIR REPEATS [VERDICT_SECONDS=20] [SAMPLE_PERIOD_SECONDS=2]" >&2; exit 2; }
bin=$1 REPEATS=$2 VW=${3:-20} SP=${4:-2}
for prog in iotax-echo-client iotaxd iotax-foreign-tpc; do
  [[ -x "$bin/$prog" ]] || die "$bin/$prog not found"
done
[[ $(id -u) -eq 0 ]] || die "needs root (BPF)"
out=$(mktemp -d /tmp/iotax-safo.XXXXXX)
source "$(dirname "$(realpath "$0")")/../measure_lib.sh"
trap 'cleanup; rm -rf "$out"' EXIT

# row MODE REP REPORT: one output row from a report.
row() {
  jq -r --arg m "$1" --arg r "$2" '.targets[0] as $t | $t.indirect.path as $p |
    [$r, $m, $t.verdict.level, ($t.verdict.estimated_saving_share * 1000 | round / 10),
     ($p.kernel_difference_seconds * 1e9 | round), ($p.user_difference_seconds * 1e9 | round),
     ($p.call_after_blocked_seconds * 1e9 | round), ($p.call_after_nonblocked_seconds * 1e9 | round),
     $p.after_nonblocked_calls, ($t.verdict.direct_cost_per_blocked_call_seconds * 1e9 | round)] | @tsv' "$3"
}

echo "# load before: $(cut -d' ' -f1-3 /proc/loadavg); tpc, 100 conns closed loop, 512 B, verdict window ${VW}s, sampled --sample=10% --sample-period=${SP}s"
echo "# rep mode level saving% kernel_half_ns user_half_ns write_after_blocked_ns write_after_nonblocked_ns nonblocked_reads direct_ns_per_block"
for rep in $(seq "$REPEATS"); do
  taskset -c 0 "$bin/iotax-foreign-tpc" 0 >"$out/s.out" 2>"$out/s.err" &
  server=$!; pids+=("$server")
  wait_for_line "$out/s.out" '^port ' 10 || die "tpc did not start: $(tail -3 "$out/s.err")"
  port=$(sed -n 's/^port \([0-9]*\)$/\1/p' "$out/s.out")
  taskset -c 1 "$bin/iotax-echo-client" --model=uring --port="$port" --conns=100 --msg-size=512 \
    --duration="$((VW + 20))s" --warmup=1s --cpus=1 --json --allow-invalid >"$out/c.json" 2>"$out/c.err" &
  client=$!; pids+=("$client")
  sleep 1
  taskset -c 1 "$bin/iotaxd" --pid "$server" --listen=127.0.0.1:0 --bpf-stats --calibration=none \
    --verdict-window="${VW}s" >"$out/full.out" 2>&1 &
  full=$!; pids+=("$full")
  taskset -c 1 "$bin/iotaxd" --pid "$server" --listen=127.0.0.1:0 --bpf-stats --calibration=none \
    --verdict-window="${VW}s" --sample=10% --sample-period="${SP}s" >"$out/sampled.out" 2>&1 &
  sampled=$!; pids+=("$sampled")
  wait_for_line "$out/full.out" 'listening on' 30 || die "full iotaxd did not start: $(tail -3 "$out/full.out")"
  wait_for_line "$out/sampled.out" 'listening on' 30 || die "sampled iotaxd did not start: $(tail -3 "$out/sampled.out")"
  sleep "$((VW + 2))"
  curl -sf "http://127.0.0.1:$(agent_port "$out/full.out")/api/report" >"$out/full.json" || die "no report from the full agent"
  curl -sf "http://127.0.0.1:$(agent_port "$out/sampled.out")/api/report" >"$out/sampled.json" || die "no report from the sampled agent"
  for p in "$full" "$sampled"; do kill -INT "$p"; wait "$p" 2>/dev/null || true; forget "$p"; done
  kill "$client" 2>/dev/null || true; wait "$client" 2>/dev/null || true; forget "$client"
  kill -KILL "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; forget "$server"
  row full "$rep" "$out/full.json"
  row sampled "$rep" "$out/sampled.json"
done
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
