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

Then the same two figures per setup: the median of its estimates against
the mean of its actual savings (µs from the mean CPU per request of the
blocking runs).

Then what the actual saving's own noise allows (the ceiling): an
estimate that knew the mean actual saving of the setup's other repeats
(leave one out) would be within the error bound, and at the actual's level,
in how many rows. The actual saving of one row is two separate runs (the
design, its async counterpart), and it moves between repeats; a row-level
target above that ceiling cannot be met by any estimate, however good.
Last, that noise itself: the standard deviation of a setup's actual savings
over its repeats (median over the setups), how many design/async pairs
each row's actual saving is the mean of (designs_check.sh's PAIRS), and how
the servers' CPU was read (cgroup or ticks).

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


LEVELS = ["not_worth_it", "maybe", "likely_worth_it"]


def level_of(share):
    """The level designs_check.sh gives an actual saving."""
    return "not_worth_it" if share < 0.05 else ("likely_worth_it" if share >= 0.15 else "maybe")


def in_bound(estimate, actual, cpu_us):
    return abs((estimate - actual) * cpu_us) <= max(0.5, 0.25 * abs(actual) * cpu_us)


def noise_ceiling(rows):
    """Rows an estimate equal to the mean of the setup's other repeats gets in bound and at level."""
    by_setup = {}
    for r in rows:
        by_setup.setdefault(setup_of(r), []).append(r)
    n = bound = level = 0
    for group in by_setup.values():
        for i, r in enumerate(group):
            others = [float(x["actual_saving_share"]) for j, x in enumerate(group) if j != i]
            if not others:
                continue
            guess, actual = statistics.fmean(others), float(r["actual_saving_share"])
            n += 1
            bound += in_bound(guess, actual, float(r["blocking_cpu_us"]))
            level += level_of(guess) == r["actual_level"]
    return n, bound, level


def setup_figures(rows):
    """Setups whose median estimate is in bound of, and at the level of, their mean actual saving."""
    by_setup = {}
    for r in rows:
        by_setup.setdefault(setup_of(r), []).append(r)
    bound = level = 0
    for group in by_setup.values():
        estimate = statistics.median(float(r["estimated_saving_share"]) for r in group)
        actual = statistics.fmean(float(r["actual_saving_share"]) for r in group)
        cpu = statistics.fmean(float(r["blocking_cpu_us"]) for r in group)
        bound += in_bound(estimate, actual, cpu)
        levels = sorted((LEVELS.index(r["level"]) for r in group))
        level += LEVELS[levels[len(levels) // 2]] == level_of(actual)  # the middle level the tool gave
    return len(by_setup), bound, level


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
        bound_ok += in_bound(est, actual, cpu)
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
    setups_n, setups_bound, setups_level = setup_figures(rows)
    print(f"per setup (median estimate against the mean actual): in bound {setups_bound}/{setups_n}, "
          f"level {setups_level}/{setups_n}")
    ceiling_n, ceiling_bound, ceiling_level = noise_ceiling(rows)
    if ceiling_n:
        print(f"the actual's own noise: the mean of the setup's other repeats as the estimate would be in bound "
              f"{ceiling_bound}/{ceiling_n} and at the actual's level {ceiling_level}/{ceiling_n}")
    spreads = [statistics.stdev(a) for a in setups.values() if len(a) >= 2]
    if spreads:
        pairs = sorted({int(r.get("pairs") or 1) for r in rows})
        sources = sorted({r.get("cpu_source") or "ticks" for r in rows})  # CSVs before the column read ticks
        print(f"the actual's spread over repeats: median standard deviation {statistics.median(spreads) * 100:.1f} "
              f"points (setups {min(spreads) * 100:.1f}-{max(spreads) * 100:.1f}, {len(spreads)} setups), "
              f"each row the mean of {'/'.join(map(str, pairs))} design/async pair(s), CPU read from "
              f"{'/'.join(sources)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
