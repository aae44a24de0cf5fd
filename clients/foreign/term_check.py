"""One model term judged on a designs_check.sh run: the estimate with the
term (what the tool reported, or what it would have) against without it.

The test, fixed before model-error §13 and used for every term since: the
term is borne out if, over all rows, the error is in bound in at least as
many rows as without it, and on the rows it changes the median |error| in µs
falls, with interval coverage over all rows still at least 80%. The level
compared is the level of each point estimate (designs_summary.level_of), so
both sides are judged on equal terms.
"""
import statistics

from designs_summary import in_bound, level_of

COVERAGE_FLOOR = 0.8


def estimate_of(row):
    """The tool's (estimate, lo, hi) as the CSV row holds them."""
    return tuple(float(row[k]) for k in ("estimated_saving_share", "estimate_lo", "estimate_hi"))


def judge(rows, term, with_label, change_label):
    """rows: (CSV row, (without, with) each (estimate, lo, hi), or None where the term changes nothing).
    Prints a table of the changed rows, both sides' figures and the test's outcome."""
    print(f"| design | load | conns | work | actual | without: estimate, error µs | {with_label}: estimate "
          f"[interval], error µs | {change_label} |")
    print("|---|---|---:|---|---:|---|---|---|")
    figures = {"without": [0, 0, 0], "with": [0, 0, 0]}  # in bound, point level, covered
    changed_errors = {"without": [], "with": []}
    for r, variants in rows:
        actual, cpu = float(r["actual_saving_share"]), float(r["blocking_cpu_us"])
        tool = estimate_of(r)
        without, with_ = variants or (tool, tool)
        for name, (est, lo, hi) in (("without", without), ("with", with_)):
            f = figures[name]
            f[0] += in_bound(est, actual, cpu)
            f[1] += level_of(est) == r["actual_level"]
            f[2] += lo <= actual <= hi
        if variants is None:
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
        print(f"{name} {term}: in bound {bound}/{n}, point level {level}/{n}, coverage {covered}/{n}; "
              f"median |error| on the {changed} rows it changes {median:.2f} µs")
    if changed:
        borne_out = (figures["with"][0] >= figures["without"][0]
                     and statistics.median(changed_errors["with"]) < statistics.median(changed_errors["without"])
                     and figures["with"][2] >= COVERAGE_FLOOR * n)
        print(f"the test fixed before the run: {'borne out' if borne_out else 'not borne out'}")
