#!/usr/bin/env bash
# Soak test for iotaxd (issue 8, "Sanitizers and time"; not run in CI): the
# agent, everything enabled, attached to a loaded blocking echo server for a
# long time. Every --interval it records iotaxd's RSS and CPU, the events it
# saw and dropped, the BPF programs' run time and the server's throughput in
# samples.csv; at the end it plots them (soak.png) and prints a summary
# (summary.txt). RSS must stay flat.
#
#   clients/soak/soak.sh [--bin=DIR] [--duration=35m] [--interval=60s] [--out=DIR]
#                        [--rate=REQ_PER_S] [--conns=N] [--msg-size=BYTES]
#
# Server: iotax-echo-server --model=blocking on CPU 0. Load: iotax-echo-client
# open loop (Poisson, fixed --rate over --conns connections) on CPU 1, with a
# 60 s --io-timeout so a stall on a shared machine is recorded, not fatal.
# Agent: iotaxd --bpf-stats with the PMU path on software stand-ins
# (cpu-clock,task-clock: no hardware PMU in these VMs), unpinned.
# Loopback only; it ends only the processes it started (by PID, on EXIT).
set -euo pipefail

usage() {
  sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'
  cat <<'EOF'
Flags:
  --bin=DIR          where iotaxd, iotax-echo-server, iotax-echo-client are (default: build/bin)
  --duration=D       how long to soak, with a unit s, m or h (default: 35m)
  --interval=D       time between two samples (default: 60s)
  --out=DIR          where samples.csv, soak.png, summary.txt and the logs go
                     (default: soak-out-YYYYmmdd-HHMMSS; created, must be empty if it exists)
  --rate=N           open-loop requests per second, all connections together (default: 20000)
  --conns=N          client connections = server threads (default: 16)
  --msg-size=B       bytes per request (default: 512)
  --pmu-events=A,B   iotaxd --pmu-events (default: cpu-clock,task-clock; empty turns tier 3 off)
EOF
}

bin=build/bin duration=35m interval=60s out="" rate=20000 conns=16 msg_size=512
pmu_events=cpu-clock,task-clock
for arg in "$@"; do
  case $arg in
    --bin=*) bin=${arg#*=} ;;
    --duration=*) duration=${arg#*=} ;;
    --interval=*) interval=${arg#*=} ;;
    --out=*) out=${arg#*=} ;;
    --rate=*) rate=${arg#*=} ;;
    --conns=*) conns=${arg#*=} ;;
    --msg-size=* | --msg_size=*) msg_size=${arg#*=} ;;
    --pmu-events=* | --pmu_events=*) pmu_events=${arg#*=} ;;
    -h | --help) usage; exit 0 ;;
    *) echo "soak.sh: unknown argument '$arg' (see --help)" >&2; exit 2 ;;
  esac
done

die() { echo "soak.sh: $*" >&2; exit 1; }
seconds_of() { # 90s, 35m, 1h, or plain seconds -> seconds
  local v=$1
  case $v in
    *h) v=$(( ${v%h} * 3600 )) ;;
    *m) v=$(( ${v%m} * 60 )) ;;
    *s) v=${v%s} ;;
  esac
  [[ $v =~ ^[0-9]+$ ]] && [ "$v" -gt 0 ] || { echo "soak.sh: '$1' is not a duration like 90s, 35m or 1h" >&2; exit 2; }
  echo "$v"
}
duration_s=$(seconds_of "$duration")
interval_s=$(seconds_of "$interval")
[[ $rate =~ ^[0-9]+$ && $conns =~ ^[0-9]+$ && $msg_size =~ ^[0-9]+$ ]] ||
  { echo "soak.sh: --rate, --conns and --msg-size take whole numbers" >&2; exit 2; }

[ "$(id -u)" -eq 0 ] || die "needs root (iotaxd loads BPF programs)"
for tool in curl gnuplot awk; do
  command -v "$tool" >/dev/null || die "$tool missing: apt-get install $tool"
done
bin=$(realpath "$bin")
for prog in iotaxd iotax-echo-server iotax-echo-client; do
  [ -x "$bin/$prog" ] || die "$bin/$prog not found: build first (cmake --build build) or pass --bin=DIR"
done
[ -n "$out" ] || out=soak-out-$(date -u +%Y%m%d-%H%M%S)
mkdir -p "$out"
[ -z "$(ls -A "$out")" ] || die "$out is not empty: pick another --out"
out=$(realpath "$out")

# pids, cleanup, forget, wait_for_line, the /proc readers, start_blocking_server.
source "$(dirname "$(realpath "$0")")/../measure_lib.sh"

# 1. The target: a thread-per-connection blocking server on CPU 0.
start_blocking_server

# 2. The agent, everything on.
"$bin/iotaxd" --pid="$server" --listen=127.0.0.1:0 --bpf-stats --pmu-events="$pmu_events" \
  >"$out/iotaxd.out" 2>"$out/iotaxd.err" &
agent=$!
pids+=("$agent")
wait_for_line "$out/iotaxd.out" 'listening on' 20 || die "iotaxd did not start: $(tail -3 "$out/iotaxd.err")"
metrics_url=$(grep -o 'http://[^ ]*/metrics' "$out/iotaxd.out" | head -1)

# 3. The load: open loop at a fixed rate, for the whole soak (it outlasts the last sample).
"$bin/iotax-echo-client" --model=uring --port="$port" --conns="$conns" --msg-size="$msg_size" \
  --rate="$rate" --duration="$(( duration_s + 15 ))s" --warmup=2s --cpus=1 --io-timeout=60s --json --allow-invalid \
  >"$out/client.json" 2>"$out/client.err" &
client=$!
pids+=("$client")
sleep 5 # connections set up and warm-up done before the first sample
kill -0 "$client" 2>/dev/null || die "client exited early: $(tail -3 "$out/client.err")"

# Sum of a metric over all its label sets, optionally only where a label matches.
metric_sum() { # file name [label="value"]
  awk -v name="$2" -v want="${3:-}" '
    $0 !~ /^#/ {
      split($1, parts, "{"); if (parts[1] != name) next
      if (want != "" && index($1, want) == 0) next
      s += $NF
    }
    END { printf "%.0f\n", s }' "$1"
}
metric_sum_float() { # file name -> sum with decimals
  awk -v name="$2" '$0 !~ /^#/ { split($1, p, "{"); if (p[1] == name) s += $NF } END { printf "%.9f\n", s }' "$1"
}

reasons=(thread_state_alloc targets_full unpaired_syscall_exit missed_wakeup missed_switch)
{
  printf 'elapsed_s,iotaxd_rss_kib,iotaxd_cpu_pct,server_rps,server_cpu_pct,events_total,events_per_s'
  printf ',dropped_total'
  for r in "${reasons[@]}"; do printf ',dropped_%s' "$r"; done
  printf ',pmu_segments_dropped_total,bpf_run_ns_per_s,load1\n'
} >"$out/samples.csv"

start=$(date +%s.%N)
prev_t=$start prev_agent=$(cpu_ticks "$agent") prev_server=$(cpu_ticks "$server")
prev_bytes=$(read_bytes "$server") prev_events=0 prev_bpf_s=0
first=1
echo "soak: server pid $server (port $port), iotaxd pid $agent ($metrics_url), client pid $client;" \
  "${duration_s}s, a sample every ${interval_s}s into $out/samples.csv"
for (( n = 0; n * interval_s <= duration_s; n++ )); do
  # Sleep until the n-th tick (no drift from the time sampling takes).
  target=$(awk -v s="$start" -v n="$n" -v i="$interval_s" 'BEGIN {printf "%.3f", s + n * i}')
  delay=$(awk -v t="$target" -v now="$(date +%s.%N)" 'BEGIN {d = t - now; printf "%.3f", (d > 0 ? d : 0)}')
  sleep "$delay"
  kill -0 "$agent" 2>/dev/null || die "iotaxd (pid $agent) died at sample $n: $(tail -3 "$out/iotaxd.err")"
  kill -0 "$server" 2>/dev/null || die "server (pid $server) died at sample $n: $(tail -3 "$out/server.err")"

  now=$(date +%s.%N)
  agent_ticks=$(cpu_ticks "$agent") server_ticks=$(cpu_ticks "$server")
  bytes=$(read_bytes "$server") rss=$(rss_kib "$agent")
  curl -sf --max-time 10 "$metrics_url" >"$out/metrics.last" || die "scrape of $metrics_url failed"
  events=$(metric_sum "$out/metrics.last" iotax_bpf_events_total)
  dropped=$(metric_sum "$out/metrics.last" iotax_bpf_dropped_total)
  bpf_s=$(metric_sum_float "$out/metrics.last" iotax_bpf_prog_run_seconds_total)
  pmu_dropped=$(metric_sum "$out/metrics.last" iotax_pmu_segments_dropped_total)
  load1=$(cut -d' ' -f1 /proc/loadavg)

  if [ "$first" -eq 1 ]; then
    first=0 # the first row has no interval before it: rates are empty
    agent_pct="" server_pct="" rps="" eps="" bpf_nsps=""
  else
    read -r agent_pct server_pct rps eps bpf_nsps < <(awk -v dt="$(awk -v a="$now" -v b="$prev_t" 'BEGIN {print a - b}')" \
      -v hz="$clk_tck" -v da="$((agent_ticks - prev_agent))" -v ds="$((server_ticks - prev_server))" \
      -v db="$((bytes - prev_bytes))" -v de="$((events - prev_events))" -v msg="$msg_size" \
      -v bn="$bpf_s" -v bp="$prev_bpf_s" \
      'BEGIN {printf "%.3f %.3f %.1f %.1f %.1f\n", 100 * da / hz / dt, 100 * ds / hz / dt, db / msg / dt, de / dt, (bn - bp) * 1e9 / dt}')
  fi
  row="$(awk -v s="$start" -v t="$now" 'BEGIN {printf "%.1f", t - s}'),$rss,$agent_pct,$rps,$server_pct,$events,$eps,$dropped"
  for r in "${reasons[@]}"; do
    row+=",$(metric_sum "$out/metrics.last" iotax_bpf_dropped_total "reason=\"$r\"")"
  done
  row+=",$pmu_dropped,$bpf_nsps,$load1"
  echo "$row" >>"$out/samples.csv"
  echo "  $row"

  prev_t=$now prev_agent=$agent_ticks prev_server=$server_ticks prev_bytes=$bytes
  prev_events=$events prev_bpf_s=$bpf_s
done

# The client ends on its own right after the last sample; give it time to drain.
for _ in $(seq 60); do kill -0 "$client" 2>/dev/null || break; sleep 1; done
client_rc=0
wait "$client" || client_rc=$?
forget "$client"
cp "$out/metrics.last" "$out/metrics.final"

# Plot: RSS, CPU, throughput, events and drops against minutes.
gnuplot <<EOF
set terminal pngcairo size 1200,900 font ",10"
set output "$out/soak.png"
set datafile separator ","
set key autotitle columnhead top left
set grid
set multiplot layout 2,2 title "iotaxd soak: blocking echo server, ${conns} conns, ${rate} req/s open loop, ${duration_s} s"
set xlabel "minutes"
set ylabel "MiB"
set title "iotaxd resident memory (VmRSS)"
set yrange [0:*]
plot "$out/samples.csv" using (\$1/60):(\$2/1024) with linespoints title "iotaxd RSS"
set title "CPU, % of one CPU"
set ylabel "%"
plot "$out/samples.csv" using (\$1/60):3 with linespoints title "iotaxd", \
     "" using (\$1/60):5 with linespoints title "server"
set title "server throughput"
set ylabel "requests/s"
plot "$out/samples.csv" using (\$1/60):4 with linespoints title "server (bytes read / msg size)"
set title "events seen and dropped (since attach)"
set ylabel "events/s"
set y2label "dropped events (cumulative)"
set y2tics
set y2range [0:*]
plot "$out/samples.csv" using (\$1/60):7 with linespoints title "BPF events/s" axes x1y1, \
     "" using (\$1/60):8 with linespoints title "dropped, all reasons" axes x1y2
unset multiplot
EOF

# Summary: RSS first/last/max and its least-squares slope per hour (all samples,
# and the second half alone, after any warm-up growth), CPU medians, drops.
awk -F, -v conns="$conns" -v rate="$rate" -v client_rc="$client_rc" '
  NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
  {
    n++; t[n] = $1; rss[n] = $2
    if ($3 != "") { m++; cpu[m] = $3; srv[m] = $5; rps[m] = $4; eps[m] = $7; bpf[m] = $col["bpf_run_ns_per_s"]; ld[m] = $NF }
    last = $0
  }
  function median(a, k,   i, j, x, b) {
    for (i = 1; i <= k; i++) b[i] = a[i]
    for (i = 2; i <= k; i++) { x = b[i]; for (j = i - 1; j >= 1 && b[j] > x; j--) b[j + 1] = b[j]; b[j + 1] = x }
    return (k % 2) ? b[(k + 1) / 2] : (b[k / 2] + b[k / 2 + 1]) / 2
  }
  function slope(from, to,   i, k, sx, sy, sxx, sxy) {
    for (i = from; i <= to; i++) { k++; sx += t[i]; sy += rss[i]; sxx += t[i] * t[i]; sxy += t[i] * rss[i] }
    return (k * sxy - sx * sy) / (k * sxx - sx * sx) * 3600
  }
  END {
    max = 0; for (i = 1; i <= n; i++) if (rss[i] > max) max = rss[i]
    split(last, f, ",")
    printf "samples: %d over %.1f min (%d conns, %d req/s open loop)\n", n, t[n] / 60, conns, rate
    printf "iotaxd RSS KiB: first %d, last %d, max %d; slope %+.1f KiB/h (all samples), %+.1f KiB/h (second half)\n",
      rss[1], rss[n], max, slope(1, n), slope(int(n / 2) + 1, n)
    printf "iotaxd CPU %% of one CPU: median %.2f; server CPU median %.1f%%; server throughput median %.0f req/s\n",
      median(cpu, m), median(srv, m), median(rps, m)
    printf "BPF events/s median %.0f; BPF programs run time median %.1f ms/s (%.2f%% of one CPU)\n",
      median(eps, m), median(bpf, m) / 1e6, median(bpf, m) / 1e7
    printf "events seen: %d; dropped: %d in all (", f[col["events_total"]], f[col["dropped_total"]]
    sep = ""
    for (name in col) if (name ~ /^dropped_./) { printf "%s%s %d", sep, substr(name, 9), f[col[name]]; sep = ", " }
    printf "); PMU segments dropped: %d\n", f[col["pmu_segments_dropped_total"]]
    printf "load average (1 min) median during the soak: %.2f\n", median(ld, m)
    printf "client exit code: %d (see client.json)\n", client_rc
  }' "$out/samples.csv" | tee "$out/summary.txt"
if [ -s "$out/client.json" ] && command -v jq >/dev/null; then
  jq -c '{throughput_rps, latency_p50_us: (.latency_ns.p50 / 1000), latency_p99_us: (.latency_ns.p99 / 1000), errors, valid, invalid_reasons}' \
    "$out/client.json" 2>/dev/null | sed 's/^/client: /' | tee -a "$out/summary.txt" || true
fi
echo "soak: wrote $out/samples.csv, $out/soak.png, $out/summary.txt"
