#!/usr/bin/env bash
# BPF run time per event of iotaxd's hot programs (issue 18), on the blocking
# echo server at full closed-loop load: not a timed test, a benchmark.
#
#   clients/overhead/hotpath_ns.sh [BIN_DIR] [ROUNDS] [SECONDS] [CONNS] [BASE_BIN_DIR]
#
# Each round starts iotaxd --bpf-stats on the server, scrapes its
# iotax_bpf_prog_* counters (the kernel's bpf_stats: run_time_ns, run_cnt)
# once the client has warmed up and again when it ends, and prints
# ns/event = delta run time / delta runs per program. Then the medians over
# rounds. Server on CPU 0, client on CPU 1, loopback only; it ends only the
# processes it started. Run it on a quiet machine and report the load it
# prints.
#
# With BASE_BIN_DIR (a build of the code before a change), every round
# measures both agents, BASE_BIN_DIR's iotaxd ("before") and BIN_DIR's
# ("after"), one after the other against the same server (BIN_DIR's) and the
# same client, alternating which goes first; it prints each one's ns/event
# and throughput, the round's ratio after/before per program, and at the end
# the medians of each and of the per-round ratios. Paired rounds share the
# machine's regime of the moment, which separate runs do not.
set -euo pipefail

bin=$(realpath "${1:-build/bin}")
rounds=${2:-5}
seconds=${3:-8}
conns=${4:-64}
base=${5:+$(realpath "$5")}
probes=(sys_enter sys_exit sched_switch sched_wakeup)

[ "$(id -u)" -eq 0 ] || { echo "hotpath_ns.sh: needs root (iotaxd loads BPF programs)" >&2; exit 2; }
command -v curl >/dev/null || { echo "hotpath_ns.sh: curl missing" >&2; exit 2; }
[ -z "$base" ] || [ -x "$base/iotaxd" ] || { echo "hotpath_ns.sh: no iotaxd in $base" >&2; exit 2; }

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

"$bin/iotax-echo-server" --model=blocking --port=0 --cpus=0 --backlog=4096 >"$work/server.out" 2>"$work/server.err" &
server=$!
pids+=("$server")
for _ in $(seq 50); do grep -q '^listening on' "$work/server.out" && break; sleep 0.1; done
port=$(sed -n 's/^listening on 127.0.0.1:\([0-9]*\)$/\1/p' "$work/server.out")
[ -n "$port" ] || { echo "server did not start: $(cat "$work/server.err")" >&2; exit 1; }

scrape() { # metrics_port out_file: "probe runs seconds" per hot probe
  curl -s "127.0.0.1:$1/metrics" | awk '
    /^iotax_bpf_prog_runs_total\{probe="/ { split($1, a, "\""); runs[a[2]] = $2 }
    /^iotax_bpf_prog_run_seconds_total\{probe="/ { split($1, a, "\""); secs[a[2]] = $2 }
    END { for (p in runs) printf "%s %s %s\n", p, runs[p], secs[p] }' >"$2"
}

measure() { # agent_bin_dir round label: "round [label] probe runs ns_per_event" lines, then throughput
  local abin=$1 r=$2 label=$3 agent client mport
  "$abin/iotaxd" --pid "$server" --listen=127.0.0.1:0 --bpf-stats >"$work/iotaxd.out" 2>&1 &
  agent=$!
  for _ in $(seq 200); do grep -q 'listening on http' "$work/iotaxd.out" && break; sleep 0.1; done
  mport=$(sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\)/metrics.*|\1|p' "$work/iotaxd.out")
  [ -n "$mport" ] || { echo "iotaxd did not start: $(cat "$work/iotaxd.out")" >&2; exit 1; }
  timeout $((seconds + 30)) "$bin/iotax-echo-client" --model=uring --port="$port" --conns="$conns" \
    --msg-size=512 --duration="${seconds}s" --warmup=1s --cpus=1 --json --allow-invalid >"$work/client.json" &
  client=$!
  sleep 2 # connections up, warmed up
  scrape "$mport" "$work/a"
  wait "$client"
  scrape "$mport" "$work/b"
  kill -INT "$agent"; wait "$agent" 2>/dev/null || true
  for p in "${probes[@]}"; do
    join <(sort "$work/a") <(sort "$work/b") | awk -v p="$p" -v r="$r" -v l="$label" '$1==p {
      runs = $4 - $2; printf "%s %s%s %d %.1f\n", r, (l == "" ? "" : l " "), p, runs, (runs > 0 ? ($5 - $3) * 1e9 / runs : 0) }'
  done | tee -a "$work/runs"
  echo "$r ${label:+$label }throughput_rps $(sed -n 's/.*"throughput_rps": *\([0-9.]*\).*/\1/p' "$work/client.json")" |
    tee -a "$work/runs"
}

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

if [ -z "$base" ]; then
  echo "round probe runs ns_per_event   (blocking server, $conns conns, 512 B, closed loop, ${seconds}s; load: $(cut -d' ' -f1-3 /proc/loadavg))"
  for r in $(seq "$rounds"); do
    measure "$bin" "$r" ""
  done
  echo
  printf '%-14s %12s %8s %8s\n' probe median_ns min_ns max_ns
  for p in "${probes[@]}"; do
    vals=$(awk -v p="$p" '$2==p{print $4}' "$work/runs")
    printf '%-14s %12.1f %8.1f %8.1f\n' "$p" "$(echo "$vals" | median)" "$(echo "$vals" | sort -g | head -1)" "$(echo "$vals" | sort -g | tail -1)"
  done
  echo "(load at end: $(cut -d' ' -f1-3 /proc/loadavg))"
  exit 0
fi

echo "paired: after = $bin/iotaxd, before = $base/iotaxd, server and client from $bin"
echo "round build probe runs ns_per_event   (blocking server, $conns conns, 512 B, closed loop, ${seconds}s per agent; load: $(cut -d' ' -f1-3 /proc/loadavg))"
for r in $(seq "$rounds"); do
  if [ $((r % 2)) -eq 1 ]; then
    measure "$base" "$r" before
    measure "$bin" "$r" after
  else
    measure "$bin" "$r" after
    measure "$base" "$r" before
  fi
  for p in "${probes[@]}" throughput_rps; do
    awk -v p="$p" -v r="$r" '$1==r && $3==p { if ($2=="before") b=(p=="throughput_rps" ? $4 : $5); else a=(p=="throughput_rps" ? $4 : $5) }
      END { if (b > 0) printf "%s ratio %s %.3f\n", r, p, a / b }' "$work/runs"
  done | tee -a "$work/ratios"
done

echo
printf '%-14s %10s %10s %12s %14s\n' probe before_ns after_ns median_ratio ratio_min-max
for p in "${probes[@]}" throughput_rps; do
  b=$(awk -v p="$p" '$2=="before" && $3==p{print (p=="throughput_rps" ? $4 : $5)}' "$work/runs" | median)
  a=$(awk -v p="$p" '$2=="after" && $3==p{print (p=="throughput_rps" ? $4 : $5)}' "$work/runs" | median)
  rs=$(awk -v p="$p" '$3==p{print $4}' "$work/ratios")
  printf '%-14s %10.1f %10.1f %12.3f %7.3f-%.3f\n' "$p" "$b" "$a" "$(echo "$rs" | median)" \
    "$(echo "$rs" | sort -g | head -1)" "$(echo "$rs" | sort -g | tail -1)"
done
echo "(before/after columns: medians over rounds; median_ratio: median of per-round after/before; throughput_rps is the server's req/s while each agent ran)"
echo "(load at end: $(cut -d' ' -f1-3 /proc/loadavg))"
