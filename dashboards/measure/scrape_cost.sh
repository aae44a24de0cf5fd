#!/bin/bash
# Measures what one iotaxd costs Prometheus as the number of traced
# processes grows: series and bytes per scrape, scrape time (median of 5
# GETs), the BPF map read inside it, the agent's resident memory, its CPU
# with nobody scraping (idle_ms/s) and while Prometheus scrapes it every
# second (cpu_ms/s), and the evaluation time of both shipped rule groups.
# The figures in docs/deployment.md come from this script.
#
#   dashboards/measure/scrape_cost.sh BUILD_DIR [TARGET_COUNTS...]   (root)
#
# Each target is tests' pipe_workload (2 threads, ~500 reads/s, about half of
# them blocking). Every count runs twice: without IPC (no PMU, the default in
# a VM) and with --pmu-events=cpu-clock,task-clock (every tier-3 series
# exported, as on hardware with a PMU). Loopback only; every process it
# starts is stopped by PID.
set -euo pipefail
BUILD=${1:?usage: scrape_cost.sh BUILD_DIR [TARGET_COUNTS...]}
shift
COUNTS=${*:-1 8 32 64}
BIN=$BUILD/bin
WORKLOAD=$BUILD/tests/pipe_workload
HERE=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d /tmp/iotax_scrape_cost_XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
trap "exit 1" INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

printf '%-7s %-4s %8s %10s %9s %9s %9s %9s %9s %9s\n' targets pmu series bytes scrape_ms map_ms rss_MiB idle_ms/s cpu_ms/s rules_ms
for n in $COUNTS; do
  for pmu in off on; do
    targets=()
    for i in $(seq "$n"); do
      "$WORKLOAD" --name="wl$i" --seconds=120 > /dev/null & PIDS+=($!); targets+=($!)
    done
    pmu_flag=--pmu-events=
    [ "$pmu" = on ] && pmu_flag=--pmu-events=cpu-clock,task-clock
    "$BIN/iotaxd" --pid "$(IFS=,; echo "${targets[*]}")" --listen=127.0.0.1:0 --calibration=none $pmu_flag \
      > "$WORK/iotaxd.out" 2> "$WORK/iotaxd.err" & agent=$!; PIDS+=($agent)
    for _ in $(seq 600); do grep -qs listening "$WORK/iotaxd.out" && break; sleep 0.1; done
    port=$(sed -n 's/.*127.0.0.1:\([0-9]*\)\/metrics$/\1/p' "$WORK/iotaxd.out")
    if [ -z "$port" ]; then
      echo "iotaxd did not start within 60 s for $n targets: $(cat "$WORK/iotaxd.err")" >&2
      exit 1
    fi
    # The agent's own CPU with nobody scraping (per-second verdict snapshots,
    # target polling, the IPC windows), over 10 s after a 5 s warm-up.
    sleep 5
    idle0=$(curl -s "http://127.0.0.1:$port/metrics" | awk '/^iotax_agent_cpu_seconds_total/{s+=$2} END{print s}')
    sleep 10
    idle1=$(curl -s "http://127.0.0.1:$port/metrics" | awk '/^iotax_agent_cpu_seconds_total/{s+=$2} END{print s}')
    idle=$(awk -v a="$idle0" -v b="$idle1" 'BEGIN{printf "%.2f", (b-a)*1000/10}')
    # Prometheus with the shipped config and rules, 1 s scrapes and evaluations.
    cp "$HERE"/prometheus/*.yml "$WORK/"
    sed -i "s/127.0.0.1:9464/127.0.0.1:$port/; s/scrape_interval: 15s/scrape_interval: 1s/g;
            s/evaluation_interval: 15s/evaluation_interval: 1s/; s/scrape_timeout: 10s/scrape_timeout: 1s/" "$WORK/prometheus.yml"
    pport=$(free_port)
    prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/data-$n-$pmu" \
      --web.listen-address=127.0.0.1:"$pport" --log.level=error & prom=$!; PIDS+=($prom)
    sleep 20  # verdicts, populated IPC buckets, rules over a few scrapes
    curl -s "http://127.0.0.1:$port/metrics" > "$WORK/m.txt"
    series=$(grep -vc "^#" "$WORK/m.txt" || true)
    bytes=$(wc -c < "$WORK/m.txt")
    scrape_ms=$(for _ in 1 2 3 4 5; do curl -s -o /dev/null -w '%{time_total}\n' "http://127.0.0.1:$port/metrics"; done | median | awk '{printf "%.2f", $1*1000}')
    map_ms=$(awk '/^iotax_snapshot_read_seconds /{printf "%.2f", $2*1000}' "$WORK/m.txt")
    rss=$(awk '/^iotax_agent_resident_memory_bytes /{printf "%.1f", $2/1048576}' "$WORK/m.txt")
    cpu0=$(awk '/^iotax_agent_cpu_seconds_total/{s+=$2} END{print s}' "$WORK/m.txt")
    sleep 10
    cpu1=$(curl -s "http://127.0.0.1:$port/metrics" | awk '/^iotax_agent_cpu_seconds_total/{s+=$2} END{print s}')
    cpu=$(awk -v a="$cpu0" -v b="$cpu1" 'BEGIN{printf "%.2f", (b-a)*1000/10}')
    rules_ms=$(curl -s "http://127.0.0.1:$pport/api/v1/rules" | python3 -c '
import json,sys; print("%.2f" % (1000*sum(g["evaluationTime"] for g in json.load(sys.stdin)["data"]["groups"])))')
    printf '%-7s %-4s %8s %10s %9s %9s %9s %9s %9s %9s\n' "$n" "$pmu" "$series" "$bytes" "$scrape_ms" "$map_ms" "$rss" "$idle" "$cpu" "$rules_ms"
    kill "$prom" "$agent" "${targets[@]}" 2>/dev/null || true
    wait "$prom" "$agent" "${targets[@]}" 2>/dev/null || true
    PIDS=()
  done
done
