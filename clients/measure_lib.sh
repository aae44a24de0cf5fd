# Shell pieces shared by the measurement scripts that start the blocking echo
# server and an agent and read /proc (clients/overhead/connection_sweep.sh,
# clients/soak/soak.sh). Sourced, after the script has defined die() and set
# `bin` (the programs) and `out` (where the logs go).

# Every process the script starts goes into `pids`; only those are ever
# signalled, and all of them are stopped when the script exits.
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# Once reaped, a PID may be reused by someone else's process: never signal it again.
forget() { local keep=() p; for p in "${pids[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done; pids=("${keep[@]}"); }

# bpftrace's tracepoint probes need tracefs (iotaxd's tp_btf programs do not):
# mount it when it is missing; unmount_tracefs undoes only what this did.
mounted_tracefs=0
mount_tracefs() {
  [ -e /sys/kernel/tracing/events ] && return 0
  mount -t tracefs nodev /sys/kernel/tracing && mounted_tracefs=1
}
unmount_tracefs() {
  [ "$mounted_tracefs" -eq 1 ] && umount /sys/kernel/tracing 2>/dev/null || true
  mounted_tracefs=0
}

wait_for_line() { # file pattern seconds
  local i
  for i in $(seq $(( $3 * 10 ))); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  return 1
}

# The port of iotaxd's "listening on HOST:PORT" line in its log FILE.
agent_port() { sed -n 's/.*listening on [^ ]*:\([0-9]\+\).*/\1/p' "$1" | head -n1; }

clk_tck=$(getconf CLK_TCK)

# CPU time of a process and of every child it forks, to the microsecond: a
# cgroup v2 group of its own, whose cpu.stat has usage_usec without any
# controller enabled. (/proc/stat's per-CPU busy time is sampled at each
# tick; a process's utime + stime loses what its exited children used.)
# cpu_group_new PID prints the group PID was moved into, or fails (no cgroup
# v2 mounted, or no right to make a group). Groups are named after this
# script's PID, so cleanup_cpu_groups removes only this script's.
cpu_group_root() { awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts; }
cpu_group_make() { # SUFFIX: makes this script's group of that name, prints its directory
  local root
  root=$(cpu_group_root)
  [ -n "$root" ] || return 1
  mkdir "$root/iotax-measure-$$-$1" 2>/dev/null || return 1
  echo "$root/iotax-measure-$$-$1"
}
cpu_group_new() {
  local dir
  dir=$(cpu_group_make "$BASHPID-$RANDOM") || return 1
  echo "$1" >"$dir/cgroup.procs" 2>/dev/null || { rmdir "$dir"; return 1; }
  echo "$dir"
}
cpu_group_usable() { # makes and removes an empty group; moves nothing
  local dir ok=1
  dir=$(cpu_group_make probe) || return 1
  if grep -q '^usage_usec ' "$dir/cpu.stat" 2>/dev/null; then ok=0; fi
  rmdir "$dir"
  return $ok
}
cpu_group_usec() { awk '$1 == "usage_usec" { print $2 }' "$1/cpu.stat"; }
cpu_group_remove() { rmdir "$1" 2>/dev/null || true; } # once its processes are gone
cleanup_cpu_groups() {
  local root d
  root=$(cpu_group_root)
  [ -n "$root" ] || return 0
  for d in "$root"/iotax-measure-$$-*; do [ -d "$d" ] && cpu_group_remove "$d"; done
  return 0
}
threads_of() { awk '/^Threads:/ {print $2}' "/proc/$1/status"; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; } # utime + stime, every thread
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
read_bytes() { awk '/^rchar:/ {print $2}' "/proc/$1/io"; } # the echo server reads only sockets

# The target: the thread-per-connection blocking echo server on CPU 0, its
# logs in $out. Sets `server` (PID) and `port`.
start_blocking_server() {
  "$bin/iotax-echo-server" --model=blocking --port=0 --cpus=0 --backlog=4096 \
    >"$out/server.out" 2>"$out/server.err" &
  server=$!
  pids+=("$server")
  wait_for_line "$out/server.out" '^listening on' 10 || die "server did not start: $(tail -3 "$out/server.err")"
  port=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$out/server.out")
}
