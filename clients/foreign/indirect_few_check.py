#!/usr/bin/env python3
"""The indirect part on a small baseline, judged on a designs_check.sh run.

  clients/foreign/indirect_few_check.py CSV [CSV ...]

Without a PMU the indirect part is the user time (and the next call's kernel
time) after a blocked return against that after a return that did not block,
on one code path; the model needs 50 segments of each (kMinPathSegments).
Where nearly every read blocks it has fewer, and the part is left out: in
model-error §11, 50 of 60 tpc, fork and vec rows. Since 2026-12-07 the report
still shows the comparison made on the few there were, when each side had at
least 10 (`indirect.path.few`), and never charges it. Since 6f9ac3f, after
this script's judgement (§13), the model charges it (`indirect.small_baseline`):
on such reports this script takes the part back out to compare.

This script compares the estimate with and without it. Each CSV's reports
(CSV without .csv + -reports.jsonl) give, for each row whose part was left
out and which has `few` (reports from before 6f9ac3f), the CPU it would add:

  added share = max(0, few.difference_seconds) x blocked IO calls / CPU seconds

the same charge the model makes when the part is available. The estimate moves
up by it; each side of the interval moves with it and widens by 1.96 x its
standard error (few.difference_se_seconds x blocked IO calls / CPU seconds),
in quadrature with the side's own width. The level of both estimates is the
level of their point value (< 5% not worth it, >= 15% likely, else maybe: the
CSV's actual_level rule), so the two are compared on equal terms; the tool's
own level, which also weighs the noise and run-queue waits, is not recomputed.
On reports from 6f9ac3f on (`indirect.small_baseline` true) the tool's
estimate and interval are the "with", and "without" is both less the part
(verdict.indirect_cpu_seconds / CPU seconds), the interval moved, not
narrowed.

The rule and the test were fixed before the run that judges them
(model-error.md §13): charging the small baseline is borne out if, over all
rows, the error is in bound in at least as many rows as without it, and on
the rows it changes the median |error| in µs falls, with interval coverage
over all rows still at least 80%.

Nothing here is tuned: it reads what the CSVs and the reports hold.
"""
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from designs_summary import in_bound, level_of  # noqa: E402
from row_reports import read_or_exit  # noqa: E402

COVERAGE_FLOOR = 0.8


def variants(row, report):
    """(without, with) the small baseline, each (estimate, lo, hi); None when the row has none."""
    ind = report.get("indirect") or {}
    cpu = report.get("cpu_seconds") or 0
    tool = tuple(float(row[k]) for k in ("estimated_saving_share", "estimate_lo", "estimate_hi"))
    if cpu <= 0:
        return None
    if ind.get("small_baseline"):
        # A report from 6f9ac3f on: the tool charged it; without it is the
        # estimate less the part, its interval moved with it.
        part = (report["verdict"].get("indirect_cpu_seconds") or 0) / cpu
        return tuple(x - part for x in tool), tool
    few = (ind.get("path") or {}).get("few")
    if ind.get("available") or not few:
        return None
    blocked = report["verdict"].get("blocked_io_calls") or 0
    added = max(0.0, few["difference_seconds"]) * blocked / cpu
    added_se = (few.get("difference_se_seconds") or 0) * blocked / cpu
    est, lo, hi = tool
    widen = lambda side: (side ** 2 + (1.96 * added_se) ** 2) ** 0.5  # noqa: E731
    return tool, (est + added, est + added - widen(est - lo), est + added + widen(hi - est))


def main(paths):
    rows = []
    for row, report in read_or_exit(paths, __doc__, "indirect_few_check"):
        row["few"] = variants(row, report)
        rows.append(row)

    print("| design | load | conns | work | actual | without: estimate, error µs | with the few: estimate "
          "[interval], error µs | added µs/request |")
    print("|---|---|---:|---|---:|---|---|---|")
    figures = {"without": [0, 0, 0], "with": [0, 0, 0]}  # in bound, point level, covered
    changed_errors = {"without": [], "with": []}
    for r in rows:
        actual, cpu = float(r["actual_saving_share"]), float(r["blocking_cpu_us"])
        tool = tuple(float(r[k]) for k in ("estimated_saving_share", "estimate_lo", "estimate_hi"))
        without, with_ = r["few"] or (tool, tool)
        for name, (est, lo, hi) in (("without", without), ("with", with_)):
            f = figures[name]
            f[0] += in_bound(est, actual, cpu)
            f[1] += level_of(est) == r["actual_level"]
            f[2] += lo <= actual <= hi
        if r["few"] is None:
            continue
        for name, (est, _, _) in (("without", without), ("with", with_)):
            changed_errors[name].append(abs(est - actual) * cpu)
        est, lo, hi = with_
        work = f"{r.get('work_us') or 0} µs" + (f" + {r['work_bytes']} B" if int(r.get("work_bytes") or 0) else "")
        print(f"| {r['design']} | {'closed' if r['load'] == '0' else r['load'] + '/s'} | {r['conns']} | {work} | "
              f"{actual * 100:.1f}% | {without[0] * 100:.1f}%, {(without[0] - actual) * cpu:+.2f} | "
              f"{est * 100:.1f}% [{lo * 100:.0f}%, {hi * 100:.0f}%], {(est - actual) * cpu:+.2f} | "
              f"{(est - without[0]) * cpu:.2f} |")

    n, changed = len(rows), len(changed_errors["with"])
    print()
    for name in ("without", "with"):
        bound, level, covered = figures[name]
        median = statistics.median(changed_errors[name]) if changed else float("nan")
        print(f"{name} the small baseline: in bound {bound}/{n}, point level {level}/{n}, coverage {covered}/{n}; "
              f"median |error| on the {changed} rows it changes {median:.2f} µs")
    if changed:
        borne_out = (figures["with"][0] >= figures["without"][0]
                     and statistics.median(changed_errors["with"]) < statistics.median(changed_errors["without"])
                     and figures["with"][2] >= COVERAGE_FLOOR * n)
        print(f"the test fixed before the run: {'borne out' if borne_out else 'not borne out'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
