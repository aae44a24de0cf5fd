#!/usr/bin/env python3
"""Every row of a designs_check.sh run, and the four figures issue 14 judges by.

  clients/foreign/designs_summary.py CSV [CSV ...]

Prints a Markdown table of every row (error in µs per request and relative,
sign, level of iotax against the level of the actual saving, interval
coverage), then one line per setup (design, load, connections, size, and the
handler work: work_us, work_bytes, in CSVs that have them) with the actual
saving over its repeats and that spread's 95% interval, then the four
figures. The work is shown in both tables only when some row has any.
The four figures:

- sign right, counted on the rows whose setup's actual saving is outside
  noise: with 2 or more repeats, the t interval of their mean excludes 0;
  with one repeat, |actual| >= 5 points (the tool's "not worth it" line);
- |error| <= max(0.5 µs, 25% of the actual saving in µs);
- the level iotax gave equals the level of the actual saving;
- the estimate's interval holds the actual saving (and how wide the
  intervals are: the median width, in points of the CPU).

Nothing here is tuned: it reads what the CSV holds.
"""
import csv
import statistics
import sys

# Two-sided 95% t quantiles by degrees of freedom (beyond the table: 1.96).
T95 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262, 10: 2.228}


def mean_interval(values):
    """Mean and its 95% t interval; the interval is None with one value."""
    m = statistics.fmean(values)
    if len(values) < 2:
        return m, None
    half = T95.get(len(values) - 1, 1.96) * statistics.stdev(values) / len(values) ** 0.5
    return m, (m - half, m + half)


def work_of(row):
    """Handler work µs and working set bytes; (0, 0) in CSVs from before the columns."""
    return int(row.get("work_us") or 0), int(row.get("work_bytes") or 0)


def setup_of(row):
    return (row["design"], row["load"], row["conns"], row["msg_size"]) + work_of(row)


def load_words(load):
    return "closed" if load == "0" else f"{load}/s"


def work_words(us, nbytes):
    words = f"{us} µs"
    return words + f" + {nbytes} B set" if nbytes else words


def main(paths):
    if not paths:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    rows = []
    for path in paths:
        with open(path, newline="") as f:
            rows.extend(csv.DictReader(f))
    if not rows:
        print("designs_summary: no rows", file=sys.stderr)
        return 1

    setups = {}
    for r in rows:
        setups.setdefault(setup_of(r), []).append(float(r["actual_saving_share"]))
    noise = {}
    for key, actuals in setups.items():
        m, ci = mean_interval(actuals)
        noise[key] = (ci[0] <= 0 <= ci[1]) if ci else abs(m) < 0.05

    has_load = any(r.get("load1") for r in rows)  # CSVs from before the column can be mixed in
    has_work = any(work_of(r) != (0, 0) for r in rows)
    print("| design | load | conns | size |" + (" work |" if has_work else "")
          + " actual | iotax [interval] | error µs/req | relative | sign | level iotax / actual | covered |"
          + (" load1 |" if has_load else ""))
    print("|---|---|---:|---:|" + ("---|" if has_work else "") + "---:|---|---:|---:|---|---|---|"
          + ("---:|" if has_load else ""))
    sign_n = sign_ok = bound_ok = level_ok = covered = 0
    widths = []
    for r in rows:
        actual, est = float(r["actual_saving_share"]), float(r["estimated_saving_share"])
        lo, hi, cpu = float(r["estimate_lo"]), float(r["estimate_hi"]), float(r["blocking_cpu_us"])
        error_us = (est - actual) * cpu
        relative = f"{(est - actual) / actual * 100:+.0f}%" if actual else "n/a"
        in_noise = noise[setup_of(r)]
        right = (est > 0) == (actual > 0)
        if in_noise:
            sign = "(noise)"
        else:
            sign_n += 1
            sign_ok += right
            sign = "right" if right else "WRONG"
        bound_ok += abs(error_us) <= max(0.5, 0.25 * abs(actual) * cpu)
        level_ok += r["level"] == r["actual_level"]
        cov = lo <= actual <= hi
        widths.append(hi - lo)
        covered += cov
        print(f"| {r['design']} | {load_words(r['load'])} | {r['conns']} | {r['msg_size']} | "
              + (f"{work_words(*work_of(r))} | " if has_work else "") + f"{actual * 100:.1f}% | "
              f"{est * 100:.1f}% [{lo * 100:.0f}%, {hi * 100:.0f}%] | {error_us:+.2f} | {relative} | {sign} | "
              f"{r['level']} / {r['actual_level']} | {'yes' if cov else 'no'} |"
              + (f" {r.get('load1') or '-'} |" if has_load else ""))

    print()
    print("| design | load | conns | size |" + (" work |" if has_work else "")
          + " repeats | actual saving: mean [95% interval of the mean] | outside noise |")
    print("|---|---|---:|---:|" + ("---|" if has_work else "") + "---:|---|---|")
    for key, actuals in setups.items():
        m, ci = mean_interval(actuals)
        spread = f"[{ci[0] * 100:.1f}%, {ci[1] * 100:.1f}%]" if ci else "(one repeat)"
        print(f"| {key[0]} | {load_words(key[1])} | {key[2]} | {key[3]} | "
              + (f"{work_words(key[4], key[5])} | " if has_work else "")
              + f"{len(actuals)} | {m * 100:.1f}% {spread} | {'no' if noise[key] else 'yes'} |")

    n = len(rows)
    print()
    print(f"rows {n} in {len(setups)} setups: sign right {sign_ok}/{sign_n} (rows outside noise); "
          f"|error| <= max(0.5 us, 25% of actual) {bound_ok}/{n}; level agreement {level_ok}/{n}; "
          f"interval coverage {covered}/{n} (median interval width {statistics.median(widths) * 100:.1f} points)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
