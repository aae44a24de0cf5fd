#!/usr/bin/env bash
# Real servers from Debian (issue 15): Apache httpd with mpm_prefork (a
# process per connection, each waiting in poll() on its one socket), Apache
# with mpm_event (the same program, event-driven) and nginx, each serving a
# 4 KiB file to `wrk -t1 -cCONNS` over loopback. Per design and repeat:
#
#   1. a measured run without iotax: requests/s and the CPU per request of
#      ALL the server's processes (its cgroup's CPU usage, so the children
#      prefork forks and reaps are counted);
#   2. the same load with `iotax report --cgroup` attached: the service
#      verdict (level, estimated saving share and its interval).
#
# The check: iotax's estimated saving for prefork next to the measured one,
# (prefork - event) / prefork CPU per request from the untraced runs.
#
#   clients/realservers/real_servers.sh BIN_DIR OUT_DIR [SECONDS] [CONNS] [REPEATS]
#
# Defaults: 10 s per run, 64 connections, 3 repeats (designs rotate within
# a repeat); about REPEATS x 3 x (2 x SECONDS + 8) s. Servers on CPU 0, wrk on
# CPU 1. Installs apache2, nginx and wrk with apt-get when they are missing.
# Writes OUT_DIR/runs.csv (every run), OUT_DIR/summary.md (medians), and the
# reports (report-DESIGN-N.json, .txt). Needs root (BPF, cgroups). Stops
# only the servers it started, by PID; their cgroups are removed.
set -euo pipefail

die() { echo "real-servers: $*" >&2; exit 1; }
if [[ $# -lt 2 || $# -gt 5 ]]; then
  echo "usage: $0 BIN_DIR OUT_DIR [SECONDS=10] [CONNS=64] [REPEATS=3]" >&2
  exit 2
fi
bin=$1 OUT=$2 SECS=${3:-10} CONNS=${4:-64} REPEATS=${5:-3}
[[ $(id -u) -eq 0 ]] || die "needs root (BPF, cgroups, apt-get)"
[[ -x "$bin/iotax" ]] || die "$bin/iotax not found: build first (make build)"
command -v jq >/dev/null || die "jq is missing (apt-get install jq)"
missing=()
command -v apache2 >/dev/null || [[ -x /usr/sbin/apache2 ]] || missing+=(apache2)
command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || missing+=(nginx)
command -v wrk >/dev/null || missing+=(wrk)
if ((${#missing[@]})); then
  echo "real-servers: installing ${missing[*]}" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null ||
    die "apt-get install ${missing[*]} failed"
fi
export PATH=$PATH:/usr/sbin
mkdir -p "$OUT"
# Beside this script in build/bin, one level up in the source tree.
here=$(dirname "$(realpath "$0")")
lib=$here/measure_lib.sh
[[ -f $lib ]] || lib=$here/../measure_lib.sh
source "$lib"
work=$(mktemp -d /tmp/iotax-real.XXXXXX)
chmod 755 "$work"

# The cgroup every server runs in, and its CPU: measure_lib.sh's (cgroup v2,
# usage_usec), the same reading the foreign designs' check takes.
cpu_group_usable || die "no cgroup v2 group could be made (Debian 12 mounts cgroup v2 by default; this needs root)"

server=""
cg=""
stop_server() {
  if [[ -n "$server" ]]; then
    kill -TERM "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
    server=""
  fi
  if [[ -n "$cg" ]]; then
    local i
    for i in $(seq 50); do [[ -n $(cat "$cg/cgroup.procs") ]] || break; sleep 0.1; done
    rmdir "$cg" 2>/dev/null || echo "real-servers: $cg still has processes: $(tr '\n' ' ' <"$cg/cgroup.procs")" >&2
    cg=""
  fi
}
trap 'stop_server; cleanup_cpu_groups; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

mkdir -p "$work/www"
head -c 4096 /dev/urandom | base64 -w 76 | head -c 4096 >"$work/www/file4k.html"
chmod -R a+rX "$work/www"
PORT=18480

apache_conf() { # MPM -> config path
  local mpm=$1 conf="$work/apache-$1.conf" mods=/usr/lib/apache2/modules
  cat >"$conf" <<EOF
ServerRoot $work
ServerName localhost
Listen 127.0.0.1:$PORT
PidFile $work/apache-$mpm.pid
ErrorLog $work/apache-$mpm-error.log
LogLevel warn
Mutex file:$work default
User www-data
Group www-data
LoadModule mpm_${mpm}_module $mods/mod_mpm_${mpm}.so
LoadModule authz_core_module $mods/mod_authz_core.so
LoadModule mime_module $mods/mod_mime.so
TypesConfig /etc/mime.types
DocumentRoot $work/www
<Directory $work/www>
  Require all granted
</Directory>
# Debian's defaults (/etc/apache2/mods-available/mpm_*.conf, apache2.conf).
KeepAlive On
MaxKeepAliveRequests 100
KeepAliveTimeout 5
EOF
  if [[ $mpm == prefork ]]; then
    printf 'StartServers 5\nMinSpareServers 5\nMaxSpareServers 10\nMaxRequestWorkers 150\nMaxConnectionsPerChild 0\n' >>"$conf"
  else
    printf 'StartServers 2\nMinSpareThreads 25\nMaxSpareThreads 75\nThreadLimit 64\nThreadsPerChild 25\nMaxRequestWorkers 150\nMaxConnectionsPerChild 0\n' >>"$conf"
  fi
  echo "$conf"
}

nginx_conf() {
  local conf="$work/nginx.conf"
  cat >"$conf" <<EOF
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx-error.log warn;
daemon off;
user www-data;
events { worker_connections 1024; }
http {
  access_log off;
  keepalive_requests 100;
  keepalive_timeout 5;
  client_body_temp_path $work/nginx-body;
  proxy_temp_path $work/nginx-proxy;
  fastcgi_temp_path $work/nginx-fastcgi;
  uwsgi_temp_path $work/nginx-uwsgi;
  scgi_temp_path $work/nginx-scgi;
  server {
    listen 127.0.0.1:$PORT;
    root $work/www;
  }
}
EOF
  echo "$conf"
}

start_server() { # design
  local design=$1 conf
  cg=$(cpu_group_make "real-$design") || die "cannot create a cgroup for $design under $(cpu_group_root)"
  case $design in
    prefork | event)
      conf=$(apache_conf "$design")
      # The shell joins the cgroup, then becomes the server: every process it
      # forks is in it. Its own session: Apache signals its whole process group.
      setsid taskset -c 0 sh -c 'echo $$ >"$1/cgroup.procs" && exec apache2 -f "$2" -DFOREGROUND' sh "$cg" "$conf" \
        >"$work/$design.out" 2>&1 &
      ;;
    nginx)
      conf=$(nginx_conf)
      setsid taskset -c 0 sh -c 'echo $$ >"$1/cgroup.procs" && exec nginx -c "$2"' sh "$cg" "$conf" >"$work/$design.out" 2>&1 &
      ;;
  esac
  server=$!
  local i
  for i in $(seq 50); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then return 0; fi
    kill -0 "$server" 2>/dev/null || die "$design did not start: $(tail -3 "$work/$design.out" "$work"/*error.log 2>/dev/null)"
    sleep 0.1
  done
  die "$design does not listen on 127.0.0.1:$PORT after 5 s"
}

# wrk on CPU 1 for SECONDS; prints "requests" (the total it completed).
load() { # seconds file
  taskset -c 1 wrk -t1 -c"$CONNS" -d"$1"s "http://127.0.0.1:$PORT/file4k.html" >"$2" 2>&1 || die "wrk failed: $(tail -2 "$2")"
  awk '/requests in/ {print $1}' "$2"
}

echo "design,repeat,requests_per_s,cpu_us_per_request,server_cpus,level,saving_share,saving_lo,saving_hi,overhead_share,blocked_calls_per_s,attached_requests_per_s,attached_cpu_us_per_request" >"$OUT/runs.csv"
designs=(prefork event nginx)
total=$((REPEATS * ${#designs[@]}))
n=0
for rep in $(seq "$REPEATS"); do
  # Rotate the order so no design always runs first (the machine warms up).
  rot=$(((rep - 1) % ${#designs[@]}))
  order=("${designs[@]:$rot}" "${designs[@]:0:$rot}")
  for design in "${order[@]}"; do
    n=$((n + 1))
    echo "real-servers: [$n/$total] $design, repeat $rep" >&2
    start_server "$design"
    load 2 "$work/warmup.txt" >/dev/null
    u0=$(cpu_group_usec "$cg")
    t0=$(date +%s%N)
    reqs=$(load "$SECS" "$work/wrk-$design-$rep.txt")
    t1=$(date +%s%N)
    u1=$(cpu_group_usec "$cg")
    wall_us=$(((t1 - t0) / 1000))
    # The attached run: iotax measures SECS - 2 s inside a load of SECS + 2 s.
    rep_json="$OUT/report-$design-$rep.json"
    taskset -c 1 wrk -t1 -c"$CONNS" -d$((SECS + 2))s "http://127.0.0.1:$PORT/file4k.html" >"$work/wrk-att.txt" 2>&1 &
    wrk_pid=$!
    sleep 1
    a0=$(cpu_group_usec "$cg")
    ta0=$(date +%s%N)
    taskset -c 1 "$bin/iotax" report --cgroup "$cg" --duration "$((SECS - 2))s" --json >"$rep_json" \
      2>"$OUT/report-$design-$rep.err" || echo "real-servers: iotax report failed: $(tail -2 "$OUT/report-$design-$rep.err")" >&2
    a1=$(cpu_group_usec "$cg")
    ta1=$(date +%s%N)
    wait "$wrk_pid" || true
    att_reqs=$(awk '/requests in/ {print $1}' "$work/wrk-att.txt")
    att_secs=$(awk '/requests in/ {gsub(/s,/, "", $4); print $4}' "$work/wrk-att.txt")
    stop_server
    jq -r --arg d "$design" --arg r "$rep" --argjson reqs "$reqs" --argjson us $((u1 - u0)) --argjson wall "$wall_us" \
      --argjson areqs "${att_reqs:-0}" --arg asecs "${att_secs:-0}" --argjson aus $((a1 - a0)) --argjson awall $(((ta1 - ta0) / 1000)) '
      (.targets[0].verdict // {}) as $v |
      ($areqs / (($asecs | tonumber) + 0.000001)) as $arps |
      [$d, $r, ($reqs / ($wall / 1e6)), ($us / $reqs), ($us / $wall),
       ($v.level // "none"), ($v.estimated_saving_share // ""), (($v.estimated_saving_share_ci // [])[0] // ""),
       (($v.estimated_saving_share_ci // [])[1] // ""), ($v.overhead_share // ""), ($v.blocked_io_calls_per_second // ""),
       $arps, (if $arps > 0 then $aus / ($arps * $awall / 1e6) else "" end)] | @csv' "$OUT/report-$design-$rep.json" \
      >>"$OUT/runs.csv" 2>/dev/null ||
      echo "\"$design\",\"$rep\",$((reqs * 1000000 / wall_us)),$(((u1 - u0) / reqs)),,\"no report\",,,,,,," >>"$OUT/runs.csv"
  done
done
# Text form of the last prefork report, for people.
jq -r '.targets[0].verdict.summary // empty, (.targets[0].verdict.reasons // [] | .[])' \
  "$OUT/report-prefork-$REPEATS.json" >"$OUT/report-prefork.txt" 2>/dev/null || true

# Medians per design, and the check.
python3 - "$OUT" "$CONNS" "$SECS" "$REPEATS" "$here" <<'EOF'
import csv, statistics, sys
out, conns, secs, repeats, here = sys.argv[1:]
sys.path.insert(0, here)
from design_pair_check import check as pair_check, pairs
rows = list(csv.DictReader(open(f"{out}/runs.csv")))
def med(design, key):
    vals = [float(r[key]) for r in rows if r["design"] == design and r[key] not in ("", None)]
    return statistics.median(vals) if vals else None
lines = [f"# Real servers: {conns} connections, wrk -t1, 4 KiB file, {secs} s runs, {repeats} repeats (medians)\n",
         "| design | requests/s | CPU µs/request | server CPUs | iotax level | iotax saving | interval | overhead share | blocked calls/s |",
         "|---|---:|---:|---:|---|---:|---|---:|---:|"]
for d in ("prefork", "event", "nginx"):
    levels = [r["level"] for r in rows if r["design"] == d]
    def pct(x): return "" if x is None else f"{100 * x:.1f}%"
    lo, hi = med(d, "saving_lo"), med(d, "saving_hi")
    lines.append(f"| {d} | {med(d, 'requests_per_s') or 0:,.0f} | {med(d, 'cpu_us_per_request') or 0:.1f} | "
                 f"{med(d, 'server_cpus') or 0:.2f} | {'/'.join(levels)} | {pct(med(d, 'saving_share'))} | "
                 f"{'' if lo is None else f'[{pct(lo)}, {pct(hi)}]'} | {pct(med(d, 'overhead_share'))} | "
                 f"{med(d, 'blocked_calls_per_s') or 0:,.0f} |")
p, e = med("prefork", "cpu_us_per_request"), med("event", "cpu_us_per_request")
s = med("prefork", "saving_share")
if p and e:
    actual = (p - e) / p
    lines.append("")
    lines.append(f"prefork -> event: measured {100 * actual:.1f}% of prefork's CPU per request "
                 f"({p:.1f} -> {e:.1f} µs); iotax's saving for prefork {'none' if s is None else f'{100 * s:.1f}%'} "
                 "(event MPM is no overhead-free event loop: see the check below)")

# The check (design_pair_check.py): prefork - event against S_prefork - S_event.
check = ["repeat,measured_us,predicted_us,lo_us,hi_us,error_us,in_bound,covered"]
for rep, cp, sp, ce, se in pairs(rows):
    measured, predicted, lo, hi, err, bound, covered = pair_check(cp, sp, ce, se)
    check.append(f"{rep},{measured:.2f},{predicted:.2f},{lo:.2f},{hi:.2f},{err:.2f},{int(bound)},{int(covered)}")
open(f"{out}/check.csv", "w").write("\n".join(check) + "\n")
if len(check) > 1:
    rs = [c.split(",") for c in check[1:]]
    lines.append("")
    lines.append("check: prefork - event CPU per request, measured against the two verdicts' savings "
                 "(S_prefork - S_event), per repeat:")
    lines.append("")
    lines.append("| repeat | measured µs | predicted µs | interval µs | error µs | in bound | covered |")
    lines.append("|---|---:|---:|---|---:|---|---|")
    for r in rs:
        lines.append(f"| {r[0]} | {r[1]} | {r[2]} | [{r[3]}, {r[4]}] | {r[5]} | {'yes' if r[6] == '1' else 'no'} | "
                     f"{'yes' if r[7] == '1' else 'no'} |")
    lines.append("")
    lines.append(f"in bound {sum(r[6] == '1' for r in rs)}/{len(rs)}, covered {sum(r[7] == '1' for r in rs)}/{len(rs)}")
text = "\n".join(lines) + "\n"
open(f"{out}/summary.md", "w").write(text)
print(text)
EOF
