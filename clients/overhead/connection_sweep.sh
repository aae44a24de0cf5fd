#!/usr/bin/env bash
# What attaching iotaxd costs the blocking echo server (thread per connection)
# at 1, 256 and 10,000 connections (issue 8, "Overhead budget"): for each
# connection count, runs without and with the agent side by side, in a rotating
# order, --repeats times, and prints every run and the medians.
#
#   clients/overhead/connection_sweep.sh [--bin=DIR] [--conns=1,256,10000] [--repeats=3]
#       [--seconds=10] [--variants=none,all,default] [--rate=0] [--out=DIR]
#
# Variants: none (nothing attached); all (iotaxd with everything on: --bpf-stats
# and the PMU path on the software stand-ins cpu-clock,task-clock, since these
# VMs have no hardware PMU); default (plain `iotaxd --pid`: here tier 3 is off
# because there is no PMU, and bpf_stats stay off); sampled (`iotaxd --pid
# --sample=10% --sample-period=1s`: the per-event probes attached 100 ms of
# every second; iotaxd's default period, 10 s, is as long as a run).
#
# Per run, measured over a window inside the client's measured window, from
# /proc: the server's throughput (bytes it read / message size), its CPU
# (utime+stime of all its threads, which includes the BPF programs: they run in
# the server's context) and CPU per request; iotaxd's own CPU (% of one CPU)
# and RSS at the end of the window; from the client: throughput and latency
# p50/p99. With variant "all" it also scrapes iotaxd's /metrics at both ends of
# the window for the BPF programs' cost per run (bpf_stats).
#
# Server on CPU 0, client (iotax-echo-client, uring) on CPU 1, closed loop
# (depth 1) unless --rate is given, 512-byte messages. Loopback only; ends only
# the processes it started, by PID.
set -euo pipefail

usage() { sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; }

bin=build/bin conns_list=1,256,10000 repeats=3 seconds=10 variants=none,all,default rate=0 out=""
msg_size=512
for arg in "$@"; do
  case $arg in
    --bin=*) bin=${arg#*=} ;;
    --conns=*) conns_list=${arg#*=} ;;
    --repeats=*) repeats=${arg#*=} ;;
    --seconds=*) seconds=${arg#*=} ;;
    --variants=*) variants=${arg#*=} ;;
    --rate=*) rate=${arg#*=} ;;
    --out=*) out=${arg#*=} ;;
    -h | --help) usage; exit 0 ;;
    *) echo "connection_sweep.sh: unknown argument '$arg' (see --help)" >&2; exit 2 ;;
  esac
done
die() { echo "connection_sweep.sh: $*" >&2; exit 1; }
[[ $repeats =~ ^[0-9]+$ && $seconds =~ ^[0-9]+$ && $rate =~ ^[0-9]+$ ]] ||
  { echo "connection_sweep.sh: --repeats, --seconds and --rate take whole numbers" >&2; exit 2; }
[ "$seconds" -ge 4 ] || { echo "connection_sweep.sh: --seconds must be at least 4" >&2; exit 2; }
IFS=, read -r -a conns_levels <<<"$conns_list"
IFS=, read -r -a variant_list <<<"$variants"
for v in "${variant_list[@]}"; do
  case $v in none | all | default | sampled) ;; *) echo "connection_sweep.sh: unknown variant '$v' (none, all, default, sampled)" >&2; exit 2 ;; esac
done

[ "$(id -u)" -eq 0 ] || die "needs root (iotaxd loads BPF programs)"
for tool in curl jq awk; do command -v "$tool" >/dev/null || die "$tool missing: apt-get install $tool"; done
bin=$(realpath "$bin")
for prog in iotaxd iotax-echo-server iotax-echo-client; do
  [ -x "$bin/$prog" ] || die "$bin/$prog not found: build first or pass --bin=DIR"
done
[ -n "$out" ] || out=$(mktemp -d)
mkdir -p "$out"
out=$(realpath "$out")
[ "$(ulimit -Hn)" -ge 20000 ] || echo "connection_sweep.sh: warning: ulimit -Hn is $(ulimit -Hn); 10,000 connections need about 10,100 descriptors per side" >&2
ulimit -n "$(ulimit -Hn)"

# pids, cleanup, forget, wait_for_line, the /proc readers, start_blocking_server.
source "$(dirname "$(realpath "$0")")/../measure_lib.sh"
trap 'echo "connection_sweep.sh: line $LINENO failed (exit $?): stopping" >&2' ERR
# Per-probe "runs seconds" from iotaxd's bpf_stats metrics.
bpf_stats() { # url -> lines "probe runs seconds"
  curl -sf --max-time 10 "$1" | awk '
    /^iotax_bpf_prog_runs_total\{/ { match($0, /probe="[^"]*"/); p = substr($0, RSTART + 7, RLENGTH - 8); runs[p] = $NF }
    /^iotax_bpf_prog_run_seconds_total\{/ { match($0, /probe="[^"]*"/); p = substr($0, RSTART + 7, RLENGTH - 8); secs[p] = $NF }
    END { for (p in runs) printf "%s %s %s\n", p, runs[p], secs[p] }'
}

server="" server_base_threads=0 port=""
start_server() {
  start_blocking_server
  server_base_threads=$(threads_of "$server")
}
stop_server() {
  kill -INT "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  forget "$server"
}

# One run -> a line in $out/runs:
# conns repeat variant client_rps p50_us p99_us server_rps server_cpu_pct server_cpu_us_per_req
#   agent_cpu_pct agent_rss_mib load1 valid
run_one() { # conns repeat variant
  local conns=$1 repeat=$2 variant=$3 agent="" url="" load_flags i
  case $variant in
    all | default | sampled)
      local extra=()
      [ "$variant" = all ] && extra=(--bpf-stats --pmu-events=cpu-clock,task-clock)
      [ "$variant" = sampled ] && extra=(--sample=10% --sample-period=1s)
      "$bin/iotaxd" --pid="$server" --listen=127.0.0.1:0 "${extra[@]}" >"$out/iotaxd.out" 2>"$out/iotaxd.err" &
      agent=$!
      pids+=("$agent")
      wait_for_line "$out/iotaxd.out" 'listening on' 30 || die "iotaxd did not start: $(tail -3 "$out/iotaxd.err")"
      url=$(grep -o 'http://[^ ]*/metrics' "$out/iotaxd.out" | head -1) ;;
  esac
  if [ "$rate" -gt 0 ]; then load_flags=(--rate="$rate"); else load_flags=(--depth=1); fi
  timeout $(( seconds + 120 )) "$bin/iotax-echo-client" --model=uring --port="$port" --conns="$conns" \
    --msg-size="$msg_size" "${load_flags[@]}" --duration="${seconds}s" --warmup=2s --cpus=1 --io-timeout=30s \
    --json --allow-invalid >"$out/client.json" 2>"$out/client.err" &
  local client=$!
  pids+=("$client")
  # The client's window starts at most 2 s (warm-up) after every connection has
  # its server thread; ours is nested inside it: [+2 s, +2 s + seconds - 1 s].
  for i in $(seq 1200); do
    [ "$(threads_of "$server")" -ge $(( server_base_threads + conns )) ] && break
    kill -0 "$client" 2>/dev/null || die "client exited during set-up: $(tail -3 "$out/client.err")"
    sleep 0.1
  done
  [ "$i" -lt 1200 ] || die "the server never had $conns connection threads (client: $(tail -2 "$out/client.err"))"
  sleep 2
  local t0 s0 b0 a0 t1 s1 b1 a1 rss="" stats0="" stats1=""
  [ "$variant" = all ] && stats0=$(bpf_stats "$url" || true)
  t0=$(date +%s.%N) s0=$(cpu_ticks "$server") b0=$(read_bytes "$server")
  [ -n "$agent" ] && a0=$(cpu_ticks "$agent")
  sleep $(( seconds - 1 ))
  t1=$(date +%s.%N) s1=$(cpu_ticks "$server") b1=$(read_bytes "$server")
  if [ -n "$agent" ]; then a1=$(cpu_ticks "$agent"); rss=$(rss_kib "$agent"); fi
  [ "$variant" = all ] && stats1=$(bpf_stats "$url" || true)
  local load1
  load1=$(cut -d' ' -f1 /proc/loadavg)
  wait "$client" || die "client failed (conns $conns, $variant): $(tail -3 "$out/client.err")"
  forget "$client"
  if [ -n "$agent" ]; then kill -INT "$agent"; wait "$agent" 2>/dev/null || true; forget "$agent"; fi
  if [ "$variant" = all ]; then # per-probe BPF cost over the window
    join <(sort <<<"$stats0") <(sort <<<"$stats1") |
      awk -v c="$conns" -v r="$repeat" -v dt="$(awk -v a="$t1" -v b="$t0" 'BEGIN {print a - b}')" \
        '{ dr = $4 - $2; ds = $5 - $3; if (dr > 0) printf "%s %s %s %.0f %.1f\n", c, r, $1, dr / dt, ds * 1e9 / dr }' \
      >>"$out/bpf_runs"
  fi
  jq -r --arg c "$conns" --arg r "$repeat" --arg v "$variant" \
    '[$c, $r, $v, .throughput_rps, .latency_ns.p50 / 1000, .latency_ns.p99 / 1000, .valid] | @tsv' "$out/client.json" |
    awk -v t0="$t0" -v t1="$t1" -v s0="$s0" -v s1="$s1" -v b0="$b0" -v b1="$b1" -v a0="${a0:-0}" -v a1="${a1:-0}" \
      -v rss="$rss" -v hz="$clk_tck" -v msg="$msg_size" -v load1="$load1" '
      { dt = t1 - t0; req = (b1 - b0) / msg; scpu = (s1 - s0) / hz
        printf "%s %s %s %.0f %.1f %.1f %.0f %.1f %.2f %s %s %s %s\n", $1, $2, $3, $4, $5, $6, req / dt, 100 * scpu / dt,
          (req > 0 ? scpu * 1e6 / req : 0), (rss == "" ? "-" : sprintf("%.2f", 100 * (a1 - a0) / hz / dt)),
          rss == "" ? "-" : sprintf("%.1f", rss / 1024), load1, $7 }' | tee -a "$out/runs"
  # Wait until the server's connection threads have ended before the next run.
  for i in $(seq 600); do [ "$(threads_of "$server")" -le "$server_base_threads" ] && break; sleep 0.1; done
}

median() { sort -g | awk '{a[NR] = $1} END {if (NR == 0) print "-"; else print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

mode=$([ "$rate" -gt 0 ] && echo "open loop at $rate req/s" || echo "closed loop, depth 1")
: >"$out/runs"
: >"$out/bpf_runs"
echo "# blocking server (CPU 0), uring client (CPU 1), $mode, ${msg_size} B, ${seconds}s runs; load at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# conns repeat variant client_rps p50_us p99_us server_rps server_cpu_pct server_cpu_us_per_req agent_cpu_pct agent_rss_mib load1 valid"
nv=${#variant_list[@]}
for conns in "${conns_levels[@]}"; do
  start_server
  for r in $(seq "$repeats"); do
    for i in $(seq 0 $(( nv - 1 ))); do
      run_one "$conns" "$r" "${variant_list[$(( (i + r) % nv ))]}"
    done
  done
  stop_server
done

echo
echo "Medians over $repeats repeats (ratios: median with the agent / median without)"
printf '%7s %-8s %11s %9s %9s %10s %10s %12s %9s %10s %10s\n' conns variant server_rps tput_ratio p50_us p99_us cpu_pct cpu_us_per_req cpu_ratio agent_cpu% agent_MiB
for conns in "${conns_levels[@]}"; do
  col() { awk -v c="$conns" -v v="$1" -v k="$2" '$1 == c && $3 == v {print $k}' "$out/runs" | median; }
  base_rps=$(col none 7) base_cpu=$(col none 9)
  for v in "${variant_list[@]}"; do
    awk -v c="$conns" -v v="$v" -v rps="$(col "$v" 7)" -v p50="$(col "$v" 5)" -v p99="$(col "$v" 6)" \
      -v cpu="$(col "$v" 8)" -v cpr="$(col "$v" 9)" -v acpu="$(col "$v" 10)" -v arss="$(col "$v" 11)" \
      -v brps="$base_rps" -v bcpr="$base_cpu" 'BEGIN {
        printf "%7s %-8s %11.0f %9s %9.1f %10.1f %10.1f %12.2f %9s %10s %10s\n", c, v, rps,
          (brps > 0 ? sprintf("%.3f", rps / brps) : "-"), p50, p99, cpu, cpr,
          (bcpr > 0 ? sprintf("%.3f", cpr / bcpr) : "-"), acpu, arss }'
  done
done
if [ -s "$out/bpf_runs" ]; then
  echo
  echo "BPF cost per program run (variant all, bpf_stats; median over repeats; runs/s over the window)"
  printf '%7s %-20s %12s %10s\n' conns probe runs_per_s ns_per_run
  for conns in "${conns_levels[@]}"; do
    for p in $(awk -v c="$conns" '$1 == c {print $3}' "$out/bpf_runs" | sort -u); do
      runs=$(awk -v c="$conns" -v p="$p" '$1 == c && $3 == p {print $4}' "$out/bpf_runs" | median)
      ns=$(awk -v c="$conns" -v p="$p" '$1 == c && $3 == p {print $5}' "$out/bpf_runs" | median)
      awk -v c="$conns" -v p="$p" -v r="$runs" -v n="$ns" 'BEGIN {printf "%7s %-20s %12.0f %10.1f\n", c, p, r, n}'
    done
  done
fi
echo "(raw runs in $out/runs, per-probe BPF runs in $out/bpf_runs; load at end: $(cut -d' ' -f1-3 /proc/loadavg))"
