#!/usr/bin/env bash
# Where the blocking and the io_uring echo servers spend their time, under
# the same open-loop load, and the difference: for each model the server
# (CPU 0) serves the io_uring load client (CPU 1, Poisson arrivals) while
# `iotax report --stacks` takes its stacks; then `iotax diff` compares the
# on-CPU profiles per request (requests from the client's JSON).
#
#   clients/stacks_compare.sh BIN_DIR OUT_DIR [RATE] [CONNS] [SECONDS]
#
# Writes OUT_DIR/{blocking,uring}/{offcpu,oncpu}.{folded,svg},
# OUT_DIR/oncpu-diff.svg and OUT_DIR/oncpu-diff.txt. Needs root. Kills only
# the processes it started.
set -euo pipefail

BIN=${1:-}; OUT=${2:-}
RATE=${3:-20000}; CONNS=${4:-100}; SECONDS_=${5:-5}
if [[ -z "$BIN" || -z "$OUT" ]]; then
  echo "usage: $0 BIN_DIR OUT_DIR [RATE] [CONNS] [SECONDS]" >&2
  exit 2
fi
mkdir -p "$OUT"
declare -A REQUESTS
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

for model in blocking uring; do
  "$BIN/iotax-echo-server" --model=$model --port=0 --cpus=0 > "$OUT/$model.server" 2>/dev/null &
  server=$!; pids+=("$server")
  for _ in $(seq 50); do grep -q listening "$OUT/$model.server" 2>/dev/null && break; sleep 0.1; done
  port=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$OUT/$model.server")
  [[ -n "$port" ]] || { echo "the $model server did not start" >&2; exit 1; }
  "$BIN/iotax-echo-client" --model=uring --port="$port" --conns="$CONNS" --rate="$RATE" --msg-size=512 \
    --duration=$((SECONDS_ + 3))s --warmup=1s --cpus=1 --json --allow-invalid > "$OUT/$model.client.json" 2>/dev/null &
  client=$!; pids+=("$client")
  sleep 1.5
  echo "== $model: iotax report --stacks for ${SECONDS_}s at $RATE req/s, $CONNS connections"
  taskset -c 1 "$BIN/iotax" report --pid "$server" --duration "${SECONDS_}s" --stacks="$OUT/$model" --kernel-stacks --stack-hz=999 \
    > "$OUT/$model.report" 2>&1
  sed -n '/Where threads blocked/,$p' "$OUT/$model.report"
  wait "$client" || true
  kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true
  # Requests while the stacks were taken: the client's rate over the window.
  REQUESTS[$model]=$(( RATE * SECONDS_ ))
done

"$BIN/iotax" diff "$OUT/blocking/oncpu.folded" "$OUT/uring/oncpu.folded" \
  --requests="${REQUESTS[blocking]},${REQUESTS[uring]}" --merge-pools --top=15 \
  --svg="$OUT/oncpu-diff.svg" --folded="$OUT/oncpu-diff.folded" | tee "$OUT/oncpu-diff.txt"
