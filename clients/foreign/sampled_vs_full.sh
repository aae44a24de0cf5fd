#!/usr/bin/env bash
# Sampled against full tracing (issue 14, part 2): the same server under the
# same closed-loop load, with iotaxd attached either tracing every event or
# --sample=10%, both with --bpf-stats (so the tracer's own time is taken off
# the price of a block). Reads /api/report after the verdict window and
# prints one row per run and the medians per server and mode.
#
#   clients/foreign/sampled_vs_full.sh BIN_DIR CONNS SECONDS REPEATS [KEEP_DIR]
#
# With KEEP_DIR, each run's /api/report is kept there as SERVER-MODE-REP.json.
# Servers: the bundled blocking and epoll echo servers and the foreign
# thread-per-connection server (build/bin/iotax-foreign-tpc). Server on CPU 0,
# client (io_uring, closed loop, 512 B) and iotaxd on CPU 1. The verdict
# window is SECONDS; sampled runs use --sample-period=2s (0.2 s windows).
# Needs root (BPF). Kills only the processes it started, by PID.
set -euo pipefail

die() { echo "sampled_vs_full: $*" >&2; exit 1; }
[[ $# -eq 4 || $# -eq 5 ]] || { echo "usage: $0 BIN_DIR CONNS SECONDS REPEATS [KEEP_DIR]" >&2; exit 2; }
bin=$1 CONNS=$2 SECONDS_=$3 REPEATS=$4 KEEP=${5:-}
[[ -z $KEEP ]] || mkdir -p "$KEEP" || die "cannot create $KEEP"
for prog in iotax-echo-client iotax-echo-server iotaxd iotax-foreign-tpc; do
  [[ -x "$bin/$prog" ]] || die "$bin/$prog not found"
done
[[ $(id -u) -eq 0 ]] || die "needs root (BPF)"
out=$(mktemp -d /tmp/iotax-svf.XXXXXX)
source "$(dirname "$(realpath "$0")")/../measure_lib.sh"
trap 'cleanup; rm -rf "$out"' EXIT
taskset -p -c 1 $$ >/dev/null

# run SERVER MODE REP: one row "server mode rep level saving lo hi tracer_ns indirect_ns".
run() {
  local name=$1 mode=$2 rep=$3 server port agent client
  case $name in
    blocking|epoll) taskset -c 0 "$bin/iotax-echo-server" --model="$name" --port=0 >"$out/s.out" 2>"$out/s.err" & ;;
    foreign) taskset -c 0 "$bin/iotax-foreign-tpc" 0 >"$out/s.out" 2>"$out/s.err" & ;;
  esac
  server=$!; pids+=("$server")
  wait_for_line "$out/s.out" '^port \|^listening on' 10 || die "$name did not start: $(tail -3 "$out/s.err")"
  port=$(sed -n -e 's/^port \([0-9]\+\)$/\1/p' -e 's/^listening on 127\.0\.0\.1:\([0-9]\+\).*/\1/p' "$out/s.out" | head -n1)
  "$bin/iotax-echo-client" --model=uring --port="$port" --conns="$CONNS" --msg-size=512 \
    --duration="$((SECONDS_ + 15))s" --warmup=1s --cpus=1 --json --allow-invalid >"$out/c.json" 2>"$out/c.err" &
  client=$!; pids+=("$client")
  sleep 1
  local extra=()
  [[ $mode == sampled ]] && extra=(--sample=10% --sample-period=2s)
  "$bin/iotaxd" --pid "$server" --listen=127.0.0.1:0 --bpf-stats --calibration=none \
    --verdict-window="${SECONDS_}s" "${extra[@]}" >"$out/a.out" 2>&1 &
  agent=$!; pids+=("$agent")
  wait_for_line "$out/a.out" 'listening on' 30 || die "iotaxd did not start: $(tail -3 "$out/a.out")"
  local aport
  aport=$(agent_port "$out/a.out")
  sleep "$((SECONDS_ + 2))"
  curl -sf "http://127.0.0.1:$aport/api/report" >"$out/r.json" || die "no /api/report"
  [[ -z $KEEP ]] || cp "$out/r.json" "$KEEP/$name-$mode-$rep.json"
  kill -INT "$agent"; wait "$agent" 2>/dev/null || true; forget "$agent"
  kill "$client" 2>/dev/null || true; wait "$client" 2>/dev/null || true; forget "$client"
  kill -KILL "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; forget "$server"
  jq -r --arg n "$name" --arg m "$mode" --arg r "$rep" '.targets[0] as $t | $t.verdict as $v |
    [$n, $m, $r, $v.level, (($v.estimated_saving_share // 0) * 100),
     (($v.estimated_saving_share_ci // [0,0])[0] * 100), (($v.estimated_saving_share_ci // [0,0])[1] * 100),
     (($t.tracer_correction.removed_per_block_seconds // -1e-9) * 1e9),
     (if $t.indirect.available and ($v.blocked_io_calls > 0) then ($v.indirect_cpu_seconds // 0) / $v.blocked_io_calls * 1e9 else -1 end)]
    | "\(.[0]) \(.[1]) \(.[2]) \(.[3]) \(.[4]*10|round/10) \(.[5]*10|round/10) \(.[6]*10|round/10) \(.[7]|round) \(.[8]|round)"' \
    "$out/r.json"
}

echo "# load before: $(cut -d' ' -f1-3 /proc/loadavg); $CONNS conns closed loop, 512 B, verdict window ${SECONDS_}s"
echo "# server mode rep level saving% lo% hi% tracer_removed_ns_per_block indirect_ns_per_block(-1: unavailable)"
for rep in $(seq "$REPEATS"); do
  for name in blocking epoll foreign; do
    for mode in full sampled; do run "$name" "$mode" "$rep" | tee -a "$out/rows"; done
  done
done
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# medians: server mode levels saving% lo% hi% tracer_ns indirect_ns"
for name in blocking epoll foreign; do
  for mode in full sampled; do
    awk -v n="$name" -v m="$mode" '$1 == n && $2 == m' "$out/rows" | sort -k5 -g | awk '
      { lv[NR] = $4; s[NR] = $5; lo[NR] = $6; hi[NR] = $7; tr[NR] = $8; ind[NR] = $9; n = $1; m = $2 }
      END { k = int((NR + 1) / 2); levels = ""; for (i = 1; i <= NR; i++) levels = levels (i > 1 ? "," : "") lv[i];
            printf "%s %s %s %s %s %s %s %s\n", n, m, levels, s[k], lo[k], hi[k], tr[k], ind[k] }'
  done
done
