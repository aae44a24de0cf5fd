#!/usr/bin/env bash
# The verdict out of sample (issue 14 part 5): server designs written for
# the check, not the bundled servers' code, each next to its own async
# counterpart (servers/foreign: --async). Per design, load and repeat:
#
#   1. the design, no iotax: CPU per request of all its processes;
#   2. its async counterpart (epoll, the same IO calls), no iotax;
#   3. the design again with `iotax report --comm` over the window: the
#      estimated saving share, its 95% interval and the level.
#
# The actual saving is (1 - 2) / 1. The model is not tuned on this: it is
# what main holds when the script runs.
#
#   clients/foreign/designs_check.sh BIN_DIR OUT_CSV [DESIGNS=fork,vec,pool] [LOADS=0,5000]
#                                    [CONNS=32] [SECONDS=5] [REPEATS=3] [SIZES=512] [WORK=0]
#
#   DESIGNS  any of tpc, fork, vec, pool (servers/foreign)
#   LOADS    0 = closed loop (one request in flight per connection), else
#            open loop at that many requests/s (Poisson, real-time client)
#   CONNS    one or more connection counts, comma-separated
#   SIZES    one or more message sizes in bytes, comma-separated
#   WORK     one or more handler works, comma-separated, each US or US:BYTES:
#            the design and its async counterpart alike spin US µs of time
#            on the CPU per read that returned data (--work-us) and walk
#            a BYTES working set per connection (--work-bytes); 0 = neither
#   PAIRS    (environment, default 1) runs of the design and of its async
#            counterpart per row, alternating (design first in odd pairs,
#            async first in even ones): the row's CPU per request, rps and
#            latency are the means over them, so the actual saving of a row
#            carries less of the runs' own noise (docs/methodology.md)
#
# Servers on CPU 0, the io_uring load client on CPU 1, over loopback. Besides
# the shares, each row has the blocking events (blocked IO calls and
# hand-offs) per request that iotax counted, which the verdict's model-error
# margin is scaled by (daemon/model/model_error.h), and the error per such
# event in µs, then the handler work (work_us, work_bytes), and last the
# client's latency p50 and p99 in µs with the design and with its async
# counterpart (what the verdict's latency rule can be checked against;
# none of it is read back by designs_summary.py), then PAIRS, the
# standard deviation of the PAIRS pairs' own savings (empty with one), and
# how the servers' CPU was read (cpu_source: cgroup or ticks, below). Writes one
# CSV row per row's runs to OUT_CSV and prints them, and each row's report
# (comm, cpu_seconds, verdict, indirect, latency and the row's key) as one line of
# OUT_CSV without .csv + -reports.jsonl; last, per design, load,
# connections, size and work, the medians. About DESIGNS x LOADS x CONNS x
# SIZES x WORK x REPEATS x (2 x PAIRS + 1) x (SECONDS + 5) s. Needs root (BPF). Kills only
# what it started, by PID.
set -euo pipefail

die() { echo "designs-check: $*" >&2; exit 1; }
usage() {
  echo "usage: $0 BIN_DIR OUT_CSV [DESIGNS=fork,vec,pool] [LOADS=0,5000] [CONNS=32] [SECONDS=5] [REPEATS=3] [SIZES=512] [WORK=0]" >&2
  echo "  WORK: comma-separated US or US:BYTES (handler work µs per read, working set bytes per connection)" >&2
  exit 2
}
[[ $# -lt 2 || $# -gt 9 ]] && usage
bin=$1 CSV=$2 DESIGNS=${3:-fork,vec,pool} LOADS=${4:-0,5000} CONNS=${5:-32} SECONDS_=${6:-5} REPEATS=${7:-3} SIZES=${8:-512} WORK=${9:-0}
PAIRS=${PAIRS:-1}
[[ $PAIRS =~ ^[1-9][0-9]*$ ]] || die "PAIRS must be a whole number of at least 1, not '$PAIRS'"
REPORTS=${CSV%.csv}-reports.jsonl
for w in ${WORK//,/ }; do [[ $w =~ ^[0-9]+(:[0-9]+)?$ ]] || { echo "designs-check: bad WORK entry '$w'" >&2; usage; }; done
[[ $(id -u) -eq 0 ]] || die "needs root (BPF, real-time client)"
command -v jq >/dev/null || die "jq is missing"
for d in ${DESIGNS//,/ }; do [[ -x "$bin/iotax-foreign-$d" ]] || die "$bin/iotax-foreign-$d not found: build first"; done
out=$(mktemp -d /tmp/iotax-designs.XXXXXX)
source "$(dirname "$(realpath "$0")")/../measure_lib.sh"
trap 'cleanup; cleanup_cpu_groups; rm -rf "$out"' EXIT
taskset -p -c 1 $$ >/dev/null  # this shell and what it starts, off the server's CPU

# How a server's CPU is read. With cgroup v2 ("cgroup"): its own group's
# usage_usec, which holds what every process and thread of the server used,
# children that exited too, to the microsecond. Without ("ticks"): its
# utime + stime, or for the fork design (and its async counterpart,
# measured alike) all of CPU 0's busy time, which only the server uses: a
# fork server's children ignore SIGCHLD, so one that exits takes its ticks
# with it. That busy time is sampled at each tick, so at low load it is
# noisy: a server busy 13% of 5 s is on the CPU at ~65 of 500 ticks.
if cpu_group_usable; then
  cpu_source=cgroup
else
  cpu_source=ticks
  echo "designs-check: no cgroup v2 group could be made: reading CPU ticks (noisier at low load)" >&2
fi
server_cpu_us() { # PID DESIGN GROUP
  if [[ $cpu_source == cgroup ]]; then cpu_group_usec "$3"; return; fi
  local ticks
  if [[ $2 == fork ]]; then
    ticks=$(awk '$1 == "cpu0" { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat)  # user nice system irq softirq steal
  else
    ticks=$(cpu_ticks "$1")
  fi
  echo $((ticks * 1000000 / clk_tck))
}

# The handler work of a WORK entry (US or US:BYTES): prints "US BYTES".
work_of() {
  local us=${1%%:*} bytes=0
  [[ $1 == *:* ]] && bytes=${1#*:}
  echo "$((10#$us)) $((10#$bytes))"
}

# measure DESIGN ASYNC(0|1) REPORT(0|1) RATE CONNS SIZE WORK_US WORK_BYTES:
# prints "CPU_US RPS P50_US P99_US" (the last two: the client's latency).
measure() {
  local design=$1 async=$2 report=$3 rate=$4 conns=$5 size=$6 work_us=$7 work_bytes=$8 args=()
  ((async)) && args+=(--async)
  ((work_us)) && args+=(--work-us="$work_us")
  ((work_bytes)) && args+=(--work-bytes="$work_bytes")
  taskset -c 0 "$bin/iotax-foreign-$design" 0 "${args[@]}" >"$out/server.out" 2>"$out/server.err" &
  local server=$!
  pids+=("$server")
  wait_for_line "$out/server.out" '^port ' 10 || die "$design did not start: $(tail -3 "$out/server.err")"
  local port comm load=(--conns="$conns" --msg-size="$size")
  port=$(sed -n 's/^port \([0-9]*\)$/\1/p' "$out/server.out")
  comm=$(head -c 15 "/proc/$server/comm" | tr -d '\n')
  local group=""  # before any client connects: every child and thread it starts is in it
  if [[ $cpu_source == cgroup ]]; then group=$(cpu_group_new "$server") || die "could not move $design into a cgroup"; fi
  [[ "$rate" != 0 ]] && load+=(--rate="$rate" --realtime)
  "$bin/iotax-echo-client" --model=uring --port="$port" "${load[@]}" --duration="$((SECONDS_ + 3 + 12 * report))s" \
    --warmup=1s --cpus=1 --json --allow-invalid >"$out/client.json" 2>"$out/client.err" &
  local client=$!
  pids+=("$client")
  sleep 1.5
  local before t_before after t_after
  if ((report)); then
    timeout 60 "$bin/iotax" report --comm "$comm" --duration="${SECONDS_}s" --json --calibration=none \
      >"$out/report.json" 2>"$out/report.err" &
    local r=$!
    pids+=("$r")
    wait_for_line "$out/report.err" '^iotax: measuring' 30 || true
    before=$(server_cpu_us "$server" "$design" "$group"); t_before=$EPOCHREALTIME
    wait "$r" || die "iotax report failed: $(tail -3 "$out/report.err")"
    forget "$r"
  else
    before=$(server_cpu_us "$server" "$design" "$group"); t_before=$EPOCHREALTIME
    sleep "$SECONDS_"
  fi
  after=$(server_cpu_us "$server" "$design" "$group"); t_after=$EPOCHREALTIME
  wait "$client" 2>/dev/null || true; forget "$client"
  kill -KILL "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; forget "$server"
  # A fork design's children see EOF and exit: wait for them, so the next
  # run neither counts nor reports them.
  for _ in $(seq 50); do pgrep -x "$comm" >/dev/null || break; sleep 0.1; done
  [[ -n $group ]] && cpu_group_remove "$group"
  local rps p50 p99
  read -r rps p50 p99 < <(jq -r '"\(.throughput_rps) \(.latency_ns.p50 // 0) \(.latency_ns.p99 // 0)"' "$out/client.json")
  awk -v t="$((after - before))" -v r="$rps" -v a="$t_after" -v b="$t_before" -v p50="$p50" -v p99="$p99" \
    'BEGIN { printf "%.3f %.0f %.1f %.1f\n", t / (r * (a - b)), r, p50 / 1e3, p99 / 1e3 }'
}

# measure_pairs DESIGN RATE CONNS SIZE WORK_US WORK_BYTES: PAIRS runs of the
# design and of its async counterpart, alternating; prints the means "B_CPU
# B_RPS B_P50 B_P99 A_CPU A_RPS A_P50 A_P99" and the standard deviation of
# the pairs' savings ("" with one pair).
measure_pairs() {
  local runs=() p first second
  for p in $(seq "$PAIRS"); do
    if ((p % 2)); then first=0 second=1; else first=1 second=0; fi
    runs[first + 2 * p]=$(measure "$1" "$first" 0 "${@:2}")
    runs[second + 2 * p]=$(measure "$1" "$second" 0 "${@:2}")
  done
  for p in $(seq "$PAIRS"); do echo "${runs[2 * p]} ${runs[1 + 2 * p]}"; done |
    awk '{ for (i = 1; i <= 8; i++) m[i] += $i; s[NR] = ($1 - $5) / $1 }
      END { for (i = 1; i <= 8; i++) printf "%.3f ", m[i] / NR
            if (NR < 2) { print ""; exit }
            for (i = 1; i <= NR; i++) { mean += s[i] / NR }
            for (i = 1; i <= NR; i++) { v += (s[i] - mean) ^ 2 }
            printf "%.4f\n", sqrt(v / (NR - 1)) }'
}

level_of() { # the tool's thresholds on an actual saving share
  awk -v s="$1" 'BEGIN { print (s < 0.05 ? "not_worth_it" : (s >= 0.15 ? "likely_worth_it" : "maybe")) }'
}

: >"$REPORTS"
echo "design,load,conns,msg_size,repeat,blocking_cpu_us,async_cpu_us,blocking_rps,async_rps,actual_saving_share,estimated_saving_share,estimate_lo,estimate_hi,error_us,covered,level,actual_level,events_per_request,error_us_per_event,load1,work_us,work_bytes,blocking_p50_us,blocking_p99_us,async_p50_us,async_p99_us,pairs,pair_saving_sd,cpu_source" >"$CSV"
for rep in $(seq "$REPEATS"); do
  for design in ${DESIGNS//,/ }; do
    for rate in ${LOADS//,/ }; do
      for conns in ${CONNS//,/ }; do
        for size in ${SIZES//,/ }; do
          for work in ${WORK//,/ }; do
            read -r wus wbytes < <(work_of "$work")
            load1=$(cut -d' ' -f1 /proc/loadavg)  # how busy the shared machine was: noise in the actual saving
            read -r b_cpu b_rps b_p50 b_p99 a_cpu a_rps a_p50 a_p99 pair_sd \
              < <(measure_pairs "$design" "$rate" "$conns" "$size" "$wus" "$wbytes")
            read -r _ r_rps < <(measure "$design" 0 1 "$rate" "$conns" "$size" "$wus" "$wbytes")
            v=$(jq -r '.targets[0].verdict | "\(.estimated_saving_share // 0) \(.estimated_saving_share_ci[0] // 0) \(.estimated_saving_share_ci[1] // 0) \(.level) \((.blocked_io_calls_per_second // 0) + (.handoffs_per_second // 0))"' "$out/report.json")
            read -r est lo hi level events <<<"$v"
            # Each row's report (what the verdict rests on), keyed by the row, so a
            # later study can recompute a term without rerunning (without_kernel_half.py).
            jq -c --arg d "$design" --arg l "$rate" --arg c "$conns" --arg z "$size" --arg r "$rep" \
                  --arg wu "$wus" --arg wb "$wbytes" \
              '.targets[0] | {comm, cpu_seconds, verdict, indirect, latency,
                row: {design: $d, load: $l, conns: $c, msg_size: $z, repeat: $r, work_us: $wu, work_bytes: $wb}}' \
              "$out/report.json" >>"$REPORTS"
            actual=$(awk -v b="$b_cpu" -v a="$a_cpu" 'BEGIN { printf "%.4f", (b - a) / b }')
            row=$(awk -v d="$design" -v l="$rate" -v c="$conns" -v z="$size" -v r="$rep" -v b="$b_cpu" -v a="$a_cpu" \
                      -v br="$b_rps" -v ar="$a_rps" -v s="$actual" -v e="$est" -v lo="$lo" -v hi="$hi" -v lv="$level" \
                      -v al="$(level_of "$actual")" -v ev="$events" -v rr="$r_rps" -v ld="$load1" \
                      -v wu="$wus" -v wb="$wbytes" -v bp50="$b_p50" -v bp99="$b_p99" -v ap50="$a_p50" -v ap99="$a_p99" \
                      -v pairs="$PAIRS" -v psd="${pair_sd:-}" -v src="$cpu_source" \
              'BEGIN { epr = rr > 0 ? ev / rr : 0
                       printf "%s,%s,%s,%s,%s,%.3f,%.3f,%.0f,%.0f,%.4f,%.4f,%.4f,%.4f,%.3f,%d,%s,%s,%.3f,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n",
                       d, l, c, z, r, b, a, br, ar, s, e, lo, hi, (e - s) * b, (s >= lo && s <= hi), lv, al, epr,
                       (epr > 0 ? sprintf("%.3f", (e - s) * b / epr) : ""), ld, wu, wb, bp50, bp99, ap50, ap99, pairs, psd, src }')
            echo "$row" | tee -a "$CSV"
          done
        done
      done
    done
  done
done
echo "# medians per design, load, connections, size and work (us,bytes): actual saving, estimate, error µs; coverage and level agreement over repeats"
awk -F, 'NR > 1 { k = $1 "," $2 "," $3 "," $4 "," $21 "," $22; n[k]++; a[k, n[k]] = $10; e[k, n[k]] = $11; u[k, n[k]] = $14; c[k] += $15; m[k] += ($16 == $17) }
  function med(arr, k, cnt,   i, j, t, v) { for (i = 1; i <= cnt; i++) v[i] = arr[k, i];
    for (i = 1; i <= cnt; i++) for (j = i + 1; j <= cnt; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
    return cnt % 2 ? v[(cnt + 1) / 2] : (v[cnt / 2] + v[cnt / 2 + 1]) / 2 }
  END { for (k in n) printf "%s: actual %.1f%% estimate %.1f%% error %.2f us; covered %d/%d; level agreed %d/%d\n",
        k, med(a, k, n[k]) * 100, med(e, k, n[k]) * 100, med(u, k, n[k]), c[k], n[k], m[k], n[k] }' "$CSV"
