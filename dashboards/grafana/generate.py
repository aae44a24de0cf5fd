#!/usr/bin/env python3
"""Writes the iotax Grafana dashboard, dashboards/grafana/iotax.json.

    python3 dashboards/grafana/generate.py dashboards/grafana/iotax.json

The JSON is what Grafana imports; this script is how it is written, so the
queries share one selector and the panels one layout. Edit here, regenerate,
and commit both: tests/dashboards checks that the JSON is this script's
output, then evaluates every query against a live iotaxd through Prometheus.
Grafana 9/10 (schemaVersion 38).
"""
import json
import sys

DS = {"type": "prometheus", "uid": "${datasource}"}
S = 'job=~"$job", instance=~"$instance", comm=~"$comm", pid=~"$pid"'
AGENT = 'job=~"$job", instance=~"$instance"'
NO_PMU = "No PMU: IPC unavailable (see the PMU status panel)"
NO_VERDICT = "Insufficient data yet (verdict level 0)"

panels = []
next_id = [1]
y = [0]

def pid():
    i = next_id[0]; next_id[0] += 1; return i

def row(title):
    panels.append({"type": "row", "title": title, "id": pid(), "collapsed": False,
                   "gridPos": {"h": 1, "w": 24, "x": 0, "y": y[0]}, "panels": []})
    y[0] += 1

def target(expr, legend="", ref="A", fmt=None, instant=False):
    t = {"datasource": DS, "expr": expr, "legendFormat": legend, "refId": ref, "range": not instant, "instant": instant}
    if fmt: t["format"] = fmt
    return t

def panel(kind, title, targets, x, w, h, desc="", unit=None, no_value=None, options=None, custom=None,
          mappings=None, thresholds=None, minv=None, maxv=None, overrides=None, transformations=None, newline=False):
    defaults = {}
    if unit: defaults["unit"] = unit
    if no_value: defaults["noValue"] = no_value
    if mappings: defaults["mappings"] = mappings
    if minv is not None: defaults["min"] = minv
    if maxv is not None: defaults["max"] = maxv
    defaults["thresholds"] = thresholds or {"mode": "absolute", "steps": [{"color": "green", "value": None}]}
    defaults["color"] = {"mode": "thresholds"} if kind in ("stat", "gauge", "bargauge") else {"mode": "palette-classic"}
    if custom: defaults["custom"] = custom
    refs = "ABCDEFGH"
    for i, t in enumerate(targets): t["refId"] = refs[i]
    p = {"type": kind, "title": title, "id": pid(), "datasource": DS, "description": desc,
         "gridPos": {"h": h, "w": w, "x": x, "y": y[0]},
         "targets": targets,
         "fieldConfig": {"defaults": defaults, "overrides": overrides or []},
         "options": options or {}}
    if transformations: p["transformations"] = transformations
    panels.append(p)
    return p

def advance(h): y[0] += h

TS_OPTS = {"legend": {"displayMode": "list", "placement": "bottom", "showLegend": True},
           "tooltip": {"mode": "multi", "sort": "desc"}}
def ts_custom(stack=False, fill=10, draw="line"):
    return {"drawStyle": draw, "lineWidth": 1, "fillOpacity": fill, "showPoints": "never", "spanNulls": False,
            "stacking": {"mode": "normal" if stack else "none", "group": "A"},
            "axisPlacement": "auto", "axisLabel": "", "lineInterpolation": "linear"}
def stat_opts(text_mode="auto", color_mode="background", fields=""):
    return {"reduceOptions": {"calcs": ["lastNotNull"], "fields": fields, "values": False},
            "orientation": "auto", "textMode": text_mode, "colorMode": color_mode, "graphMode": "none",
            "justifyMode": "auto"}
def vmap(pairs):
    return [{"type": "value", "options": {str(k): {"text": t, "color": c, "index": i} for i, (k, t, c) in enumerate(pairs)}}]
def thr(*steps):
    out = [{"color": steps[0], "value": None}]
    for i in range(1, len(steps), 2): out.append({"color": steps[i+1], "value": steps[i]})
    return {"mode": "absolute", "steps": out}
LEG = "{{comm}} {{pid}}"

# ---------------------------------------------------------------- Verdict
row("Verdict: is an async IO design worth it?")
panel("stat", "Verdict", [target(f"iotax_verdict_level{{{S}}}", LEG)], 0, 6, 6,
      desc="iotax_verdict_level over the verdict window (iotaxd --verdict-window, default 30 s): 0 insufficient data, 1 not worth it, 2 maybe, 3 likely worth it. docs/methodology.md explains how it is reached.",
      mappings=vmap([(0, "Insufficient data", "text"), (1, "Not worth it", "green"), (2, "Maybe", "yellow"), (3, "Likely worth it", "orange")]),
      options=stat_opts(text_mode="value_and_name"))
panel("gauge", "Blocking overhead (share of the process's CPU)", [target(f"iotax_blocking_overhead_ratio{{{S}}}", LEG)], 6, 6, 6,
      desc="iotax_blocking_overhead_ratio: the CPU the process spends because its IO calls block (direct cost from tier 2, plus the indirect cost when a PMU exists), as a share of its CPU as the kernel accounts it. Absent while the verdict has insufficient data.",
      unit="percentunit", minv=0, maxv=0.5, no_value=NO_VERDICT, thresholds=thr("green", 0.1, "yellow", 0.2, "orange"),
      options={"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False}, "showThresholdLabels": False, "showThresholdMarkers": True, "orientation": "auto"})
panel("stat", "Estimated saving of an async design", [target(f"iotax_async_saving_ratio{{{S}}}", LEG)], 12, 6, 6,
      desc="iotax_async_saving_ratio: the blocking overhead minus what an async design would pay instead (calibrated with `iotax calibrate`, or estimated from the target's own non-blocking calls). Negative: async would cost more.",
      unit="percentunit", no_value=NO_VERDICT, thresholds=thr("text", 0.05, "yellow", 0.15, "orange"), options=stat_opts(color_mode="value"))
panel("stat", "Confidence", [target(f"iotax_verdict_confidence{{{S}}}", LEG)], 18, 6, 6,
      desc="iotax_verdict_confidence: 0 low, 1 medium, 2 high (from the width of the 95% intervals and the amount of data).",
      no_value=NO_VERDICT, mappings=vmap([(0, "Low", "orange"), (1, "Medium", "yellow"), (2, "High", "green")]),
      options=stat_opts(color_mode="value"))
advance(6)
panel("timeseries", "Blocking overhead and async saving, with 95% intervals",
      [target(f"iotax_blocking_overhead_ratio{{{S}}}", LEG + " overhead"),
       target(f"iotax_blocking_overhead_ratio_lower{{{S}}}", LEG + " overhead lower"),
       target(f"iotax_blocking_overhead_ratio_upper{{{S}}}", LEG + " overhead upper"),
       target(f"iotax_async_saving_ratio{{{S}}}", LEG + " saving")],
      0, 24, 8, desc="Each point is the verdict over the window that ends there. The lower and upper bounds are the 95% intervals (jackknife over one-second sub-windows).",
      unit="percentunit", no_value=NO_VERDICT, custom=ts_custom(fill=0), options=TS_OPTS,
      overrides=[{"matcher": {"id": "byRegexp", "options": ".*(lower|upper)$"},
                  "properties": [{"id": "custom.lineStyle", "value": {"fill": "dash", "dash": [10, 10]}}]}])
advance(8)

# ---------------------------------------------------------------- CPU
row("CPU")
panel("timeseries", "CPU split: user / syscall / blocking overhead (cores)",
      [target(f'rate(iotax_cpu_seconds_total{{{S}, mode="user"}}[$__rate_interval])', LEG + " user"),
       target(f'(rate(iotax_cpu_seconds_total{{{S}, mode="syscall"}}[$__rate_interval])'
              f' - ignoring (mode) group_left target:iotax_blocking_io_direct_cpu_seconds:rate1m{{{S}}})'
              f' or rate(iotax_cpu_seconds_total{{{S}, mode="syscall"}}[$__rate_interval])', LEG + " syscall (excl. blocking)"),
       target(f"target:iotax_blocking_io_direct_cpu_seconds:rate1m{{{S}}}", LEG + " blocking overhead (direct)"),
       target(f'rate(iotax_cpu_seconds_total{{{S}, mode="io_worker"}}[$__rate_interval])', LEG + " io_uring workers")],
      0, 16, 8,
      desc="On-CPU time per second (1 = one core busy). Syscall time is shown without the direct cost of blocking (tier 2: the extra on-CPU time of IO calls that blocked over those that did not, recording rule target:iotax_blocking_io_direct_cpu_seconds:rate1m), which is stacked on its own. While no class is calibrated the syscall series is the whole syscall time.",
      unit="none", custom=dict(ts_custom(stack=True, fill=40), axisLabel="CPU cores"), options=TS_OPTS)
panel("stat", "Direct blocking cost, share of traced CPU (last minute)",
      [target(f"target:iotax_blocking_io_direct_cpu_share:ratio1m{{{S}}}", LEG)], 16, 8, 8,
      desc="Tier 2 alone (no indirect cost), over the last minute, of the CPU iotax traces (user + syscall + io_uring workers). The verdict's overhead share above uses the kernel's CPU accounting and its own window.",
      unit="percentunit", no_value="No calibrated IO class yet", thresholds=thr("green", 0.1, "yellow", 0.2, "orange"),
      options=stat_opts(color_mode="value"))
advance(8)
panel("timeseries", "Direct cost of blocking by syscall class (cores)",
      [target(f"target_class:iotax_blocking_direct_cpu_seconds:rate1m{{{S}}}", LEG + " {{class}}")], 0, 12, 8,
      desc="Tier 2 per class, windowed (recording rule target_class:iotax_blocking_direct_cpu_seconds:rate1m). A class whose calls have all blocked since attach has no baseline and no series (unknown, not 0; iotax_blocking_calibrated says which).",
      unit="none", custom=dict(ts_custom(stack=False, fill=10), axisLabel="CPU cores"), options=TS_OPTS)
panel("timeseries", "Syscall CPU by class (cores)",
      [target(f"rate(iotax_syscall_cpu_seconds_total{{{S}}}[$__rate_interval])", LEG + " {{class}}"),
       target(f"rate(iotax_syscall_blocked_cpu_seconds_total{{{S}}}[$__rate_interval])", LEG + " {{class}} (in calls that blocked)")],
      12, 12, 8, desc="On-CPU time inside completed syscalls per class, and the part spent in calls that blocked.",
      unit="none", custom=dict(ts_custom(fill=0), axisLabel="CPU cores"), options=TS_OPTS)
advance(8)

# ---------------------------------------------------------------- Off-CPU
row("Off-CPU")
panel("timeseries", "Off-CPU time by reason (threads)",
      [target(f"rate(iotax_offcpu_seconds_total{{{S}}}[$__rate_interval])", LEG + " {{reason}}")], 0, 16, 8,
      desc="Seconds per second the process's threads spent off CPU, by why: blocked in IO, waiting for events (poll/epoll/io_uring), futex, sleep, other, or runnable but waiting for a CPU (run queue). Summed over threads: 10 threads blocked all the time show as 10.",
      unit="none", custom=dict(ts_custom(stack=True, fill=40), axisLabel="threads"), options=TS_OPTS)
panel("bargauge", "Off-CPU share by reason (last minute)",
      [target(f"target_reason:iotax_offcpu_seconds:rate1m{{{S}}} / ignoring (reason) group_left () (sum without (reason) (target_reason:iotax_offcpu_seconds:rate1m{{{S}}}) > 0)", LEG + " {{reason}}")],
      16, 8, 8, desc="Share of the off-CPU time per reason over the last minute (recording rule target_reason:iotax_offcpu_seconds:rate1m).",
      unit="percentunit", minv=0, maxv=1, no_value="No off-CPU time in the last minute",
      options={"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False}, "orientation": "horizontal", "displayMode": "gradient", "showUnfilled": True})
advance(8)

# ---------------------------------------------------------------- Syscalls
row("Syscalls")
panel("timeseries", "Syscalls per second by class",
      [target(f'rate(iotax_syscalls_total{{{S}, class=~"$class"}}[$__rate_interval])', LEG + " {{class}}"),
       target(f'rate(iotax_syscalls_blocked_total{{{S}, class=~"$class"}}[$__rate_interval])', LEG + " {{class}} blocked")],
      0, 12, 8, desc="Completed calls per second, and those during which the thread blocked (switched out voluntarily).",
      unit="ops", custom=ts_custom(fill=0), options=TS_OPTS)
panel("heatmap", "Syscall latency (wall time, selected classes)",
      [target(f'sum by (le) (rate(iotax_syscall_duration_seconds_bucket{{{S}, class=~"$class"}}[$__rate_interval]))', "{{le}}", fmt="heatmap")],
      12, 12, 8, desc="Distribution of syscall wall time (entry to exit, blocked time included) from the iotax_syscall_duration_seconds histogram; buckets are powers of 4 from 1 µs to 17 s. Pick classes with the class variable.",
      options={"calculate": False, "yAxis": {"axisPlacement": "left", "unit": "s", "reverse": False},
               "rowsFrame": {"layout": "auto"},
               "color": {"mode": "scheme", "scheme": "Oranges", "fill": "dark-orange", "scale": "exponential", "exponent": 0.5, "steps": 64, "reverse": False},
               "cellGap": 1, "filterValues": {"le": 1e-9}, "showValue": "never",
               "tooltip": {"show": True, "yHistogram": False}, "legend": {"show": True},
               "exemplars": {"color": "rgba(255,0,255,0.7)"}},
      custom={"hideFrom": {"legend": False, "tooltip": False, "viz": False}, "scaleDistribution": {"type": "linear"}})
advance(8)
panel("timeseries", "Syscall latency p99 by class (last minute)",
      [target(f'target_class:iotax_syscall_duration_seconds:p99_1m{{{S}, class=~"$class"}}', LEG + " {{class}}")],
      0, 12, 8, desc="99th percentile of syscall wall time per class (recording rule target_class:iotax_syscall_duration_seconds:p99_1m, interpolated in power-of-4 buckets). Classes without calls in the window have no series.",
      unit="s", no_value="No calls in the selected classes", custom=dict(ts_custom(fill=0)), options=TS_OPTS)
panel("timeseries", "Mean on-CPU time per call: blocked vs not blocked",
      [target(f'rate(iotax_syscall_blocked_cpu_seconds_total{{{S}, class=~"$class"}}[$__rate_interval]) / (rate(iotax_syscalls_blocked_total{{{S}, class=~"$class"}}[$__rate_interval]) > 0)', LEG + " {{class}} blocked"),
       target(f'(rate(iotax_syscall_cpu_seconds_total{{{S}, class=~"$class"}}[$__rate_interval]) - rate(iotax_syscall_blocked_cpu_seconds_total{{{S}, class=~"$class"}}[$__rate_interval])) / ((rate(iotax_syscalls_total{{{S}, class=~"$class"}}[$__rate_interval]) - rate(iotax_syscalls_blocked_total{{{S}, class=~"$class"}}[$__rate_interval])) > 0)', LEG + " {{class}} not blocked")],
      12, 12, 8, desc="Tier 2's two means: the gap between them, times blocked calls, is the direct cost of blocking. Classes without such calls in the window have no series.",
      unit="s", no_value="No calls in the selected classes", custom=ts_custom(fill=0), options=TS_OPTS)
advance(8)

# ---------------------------------------------------------------- Scheduling
row("Scheduling")
panel("timeseries", "Context switches and wakeups per second",
      [target(f"rate(iotax_context_switches_total{{{S}}}[$__rate_interval])", LEG + " {{kind}} switches"),
       target(f"rate(iotax_wakeups_total{{{S}}}[$__rate_interval])", LEG + " wakeups")],
      0, 8, 8, desc="Switches out of the process's threads: voluntary (it blocked) or involuntary (preempted while runnable); and wakeups of its threads.",
      unit="ops", custom=ts_custom(fill=0), options=TS_OPTS)
panel("timeseries", "Run-queue wait p99",
      [target(f"histogram_quantile(0.99, rate(iotax_runqueue_wait_seconds_bucket{{{S}}}[$__rate_interval]) and ignoring (le) (rate(iotax_runqueue_wait_seconds_count{{{S}}}[$__rate_interval]) > 0))", LEG + " {{kind}}"),
       target(f"iotax_verdict_runqueue_wait_p99_seconds{{{S}}}", LEG + " verdict window (both kinds)")],
      8, 8, 8, desc="How long a runnable thread waited for a CPU: after preemption, or after a wakeup. Latency that more threads than CPUs cost, not CPU.",
      unit="s", no_value="No thread waited for a CPU", custom=ts_custom(fill=0), options=TS_OPTS)
panel("timeseries", "Threads",
      [target(f"iotax_target_threads{{{S}}}", LEG + " alive"),
       target(f"rate(iotax_threads_created_total{{{S}}}[$__rate_interval])", LEG + " created/s")],
      16, 8, 8, desc="Threads alive now (from /proc/PID/task) and threads created per second.",
      unit="none", custom=ts_custom(fill=0), options=TS_OPTS)
advance(8)

# ---------------------------------------------------------------- IPC
row("IPC and the recovery curve (needs a hardware PMU)")
panel("stat", "PMU", [target(f"iotax_pmu_up{{{AGENT}}}", "{{instance}}")], 0, 6, 6,
      desc="iotax_pmu_up: 1 when the instruction and cycle counters are read at every syscall and switch. Most VMs have no PMU: then every panel of this row says so instead of showing zeros.",
      mappings=vmap([(0, "No PMU: IPC unavailable", "text"), (1, "PMU counting", "green")]), options=stat_opts(text_mode="value_and_name"))
panel("stat", "PMU status", [target(f"iotax_pmu_info{{{AGENT}}}", "", fmt="table", instant=True)], 6, 6, 6,
      desc="iotax_pmu_info: why the PMU is up or down (ok, vm_without_pmu, no_hardware_pmu, not_permitted, open_failed, disabled) and whether software stand-ins count instead of hardware. `iotaxd --check` on the node says what to do.",
      options=stat_opts(text_mode="value", color_mode="none", fields="/^(reason|software_standins)$/"))
panel("timeseries", "User-mode IPC", [target(f"iotax_user_ipc{{{S}}}", LEG)], 12, 12, 6,
      desc="Instructions per cycle of the process's user code over the last window (iotaxd --window).",
      unit="none", no_value=NO_PMU, custom=ts_custom(fill=0), options=TS_OPTS)
advance(6)
panel("barchart", "IPC recovery curve after a kernel return",
      [target(f"iotax_ipc_recovery{{{S}}}", "", fmt="table", instant=True)], 0, 12, 9,
      desc="IPC of user code at about N instructions after a syscall or switch returned, by what preceded it (the shape of FlexSC's Figure 1, on the live process). docs/methodology-ipc.md.",
      unit="none", no_value=NO_PMU,
      transformations=[
          {"id": "groupingToMatrix", "options": {"columnField": "after", "rowField": "instructions", "valueField": "Value"}},
          {"id": "convertFieldType", "options": {"conversions": [{"targetField": "instructions\\after", "destinationType": "number"}], "fields": {}}},
          {"id": "sortBy", "options": {"sort": [{"field": "instructions\\after"}]}}],
      options={"xField": "instructions\\after", "orientation": "vertical", "barWidth": 0.9, "groupWidth": 0.7,
               "showValue": "never", "stacking": "none", "xTickLabelRotation": -45,
               "legend": {"displayMode": "list", "placement": "bottom", "showLegend": True}, "tooltip": {"mode": "multi"}})
panel("timeseries", "Cycles lost per kernel return",
      [target(f"iotax_cycles_lost_per_return{{{S}}}", LEG + " {{after}} (to full recovery)"),
       target(f"iotax_realized_cycles_lost_per_return{{{S}}}", LEG + " {{after}} (realized)")],
      12, 12, 9, desc="Cycles a return costs the user code relative to steady-state IPC: for a segment long enough to recover, and as the observed segments actually lost.",
      unit="none", no_value=NO_PMU, custom=ts_custom(fill=0), options=TS_OPTS)
advance(9)
panel("timeseries", "User cycles lost to kernel returns (share)",
      [target(f"target:iotax_realized_cycles_lost_share:ratio1m{{{S}}}", LEG)], 0, 8, 8,
      desc="Realized cycles lost per return times returns per second, over the user cycles (recording rule target:iotax_realized_cycles_lost_share:ratio1m): the indirect cost of syscalls and switches.",
      unit="percentunit", no_value=NO_PMU, custom=ts_custom(fill=10), options=TS_OPTS)
panel("timeseries", "Steady-state IPC",
      [target(f"iotax_ipc_steady_state{{{S}}}", LEG + " {{after}}")], 8, 8, 8,
      desc="User IPC once recovered, from the longest segments (slope of cycles against instructions).",
      unit="none", no_value=NO_PMU, custom=ts_custom(fill=0), options=TS_OPTS)
panel("timeseries", "Indirect cycles per syscall (CPI regression, 95% interval)",
      [target(f"iotax_indirect_cycles_per_syscall{{{S}}}", LEG + " per syscall"),
       target(f"iotax_indirect_cycles_per_syscall_lower{{{S}}}", LEG + " lower"),
       target(f"iotax_indirect_cycles_per_syscall_upper{{{S}}}", LEG + " upper")],
      16, 8, 8, desc="Extra user cycles each syscall causes after it returns: the slope of CPI against syscall density across windows, with its 95% interval. Absent when syscall density did not vary.",
      unit="none", no_value=NO_PMU + ", or no regression yet", custom=ts_custom(fill=0), options=TS_OPTS,
      overrides=[{"matcher": {"id": "byRegexp", "options": ".*(lower|upper)$"},
                  "properties": [{"id": "custom.lineStyle", "value": {"fill": "dash", "dash": [10, 10]}}]}])
advance(8)

# ---------------------------------------------------------------- Agent
row("Agent health")
panel("stat", "Probes", [target(f"iotax_probe_up{{{AGENT}}}", "{{instance}} {{probe}}")], 0, 8, 6,
      desc="iotax_probe_up: 1 when the BPF program is attached. A probe that is down makes some figures missing or low; `iotaxd --check` says why.",
      mappings=vmap([(0, "DOWN", "red"), (1, "up", "green")]), options=stat_opts(text_mode="value_and_name"))
panel("stat", "Targets", [target(f"iotax_target_up{{{S}}}", LEG)], 8, 8, 6,
      desc="iotax_target_up: 1 while the traced process runs; 0 once it exited (its series stay at their last values).",
      mappings=vmap([(0, "exited", "red"), (1, "running", "green")]), options=stat_opts(text_mode="value_and_name"))
panel("timeseries", "Events traced and lost per second",
      [target(f"sum without (probe) (rate(iotax_bpf_events_total{{{AGENT}}}[$__rate_interval]))", "{{instance}} traced"),
       target(f"rate(iotax_bpf_dropped_total{{{AGENT}}}[$__rate_interval])", "{{instance}} lost: {{reason}}")],
      16, 8, 6, desc="BPF program runs that concerned a target, and events that could not be fully accounted, by reason (unpaired_syscall_exit is expected at attach: calls that began before).",
      unit="ops", custom=ts_custom(fill=0), options=TS_OPTS)
advance(6)
panel("timeseries", "Agent CPU (cores)",
      [target(f"rate(iotax_agent_cpu_seconds_total{{{AGENT}}}[$__rate_interval])", "{{instance}} iotaxd {{mode}}"),
       target(f"sum without (probe) (rate(iotax_bpf_prog_run_seconds_total{{{AGENT}}}[$__rate_interval]))", "{{instance}} BPF programs (in traced threads)")],
      0, 8, 8, desc="The agent's own cost: iotaxd in user and system mode, and the time its BPF programs run in the traced threads (only with iotaxd --bpf-stats, iotax_bpf_stats_enabled 1).",
      unit="none", custom=dict(ts_custom(stack=False, fill=10), axisLabel="CPU cores"), options=TS_OPTS)
panel("timeseries", "Agent resident memory",
      [target(f"iotax_agent_resident_memory_bytes{{{AGENT}}}", "{{instance}}")], 8, 8, 8,
      desc="Resident memory of iotaxd (BPF maps are kernel memory, not included).",
      unit="bytes", custom=ts_custom(fill=10), options=TS_OPTS)
panel("timeseries", "Scrape duration and samples",
      [target(f"scrape_duration_seconds{{{AGENT}}} and on (instance, job) iotax_agent_info", "{{instance}} scrape"),
       target(f"iotax_snapshot_read_seconds{{{AGENT}}}", "{{instance}} BPF map read"),
       target(f"scrape_samples_scraped{{{AGENT}}} and on (instance, job) iotax_agent_info", "{{instance}} samples")],
      16, 8, 8, desc="How long Prometheus takes to scrape iotaxd, the part spent reading the BPF maps, and the samples per scrape (docs/deployment.md has the figures per target).",
      unit="s", custom=ts_custom(fill=0), options=TS_OPTS,
      overrides=[{"matcher": {"id": "byFrameRefID", "options": "C"},
                  "properties": [{"id": "unit", "value": "none"}, {"id": "custom.axisPlacement", "value": "right"}]}])
advance(8)

def var_query(name, label, query, all_value=".+", multi=True):
    return {"type": "query", "name": name, "label": label, "datasource": DS,
            "definition": query, "query": query,
            "refresh": 2, "sort": 1, "multi": multi, "includeAll": True, "allValue": all_value,
            "current": {"selected": True, "text": ["All"], "value": ["$__all"]}, "hide": 0, "regex": "", "options": []}

dashboard = {
    "title": "iotax: the CPU cost of blocking IO",
    "uid": "iotax-overview",
    "description": "What iotaxd measures about a traced process: the verdict on an async IO design, where CPU and off-CPU time go, syscalls, scheduling, IPC when a PMU exists, and the agent's own health. From the iotax repository, dashboards/grafana/iotax.json.",
    "tags": ["iotax", "ebpf", "io"],
    "editable": True,
    "graphTooltip": 1,
    "id": None,
    "schemaVersion": 38,
    "version": 1,
    "refresh": "30s",
    "time": {"from": "now-1h", "to": "now"},
    "timepicker": {},
    "timezone": "",
    "fiscalYearStartMonth": 0,
    "liveNow": False,
    "weekStart": "",
    "links": [],
    "annotations": {"list": [{"builtIn": 1, "datasource": {"type": "grafana", "uid": "-- Grafana --"}, "enable": True,
                              "hide": True, "iconColor": "rgba(0, 211, 255, 1)", "name": "Annotations & Alerts", "type": "dashboard"}]},
    "templating": {"list": [
        {"type": "datasource", "name": "datasource", "label": "Data source", "query": "prometheus", "current": {},
         "hide": 0, "includeAll": False, "multi": False, "refresh": 1, "regex": "", "options": []},
        var_query("job", "Job", "label_values(iotax_agent_info, job)"),
        var_query("instance", "Agent", 'label_values(iotax_agent_info{job=~"$job"}, instance)'),
        var_query("comm", "Process name", 'label_values(iotax_target_up{job=~"$job", instance=~"$instance"}, comm)'),
        var_query("pid", "PID", 'label_values(iotax_target_up{job=~"$job", instance=~"$instance", comm=~"$comm"}, pid)'),
        var_query("class", "Syscall class", 'label_values(iotax_syscalls_total{job=~"$job", instance=~"$instance"}, class)'),
    ]},
    "panels": panels,
}
if len(sys.argv) != 2:
    sys.exit("usage: generate.py OUTPUT_JSON")
with open(sys.argv[1], "w") as out:
    json.dump(dashboard, out, indent=2)
    out.write("\n")
