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

The rule and the test (term_check.py) were fixed before the run that judges
them (model-error.md §13).

Nothing here is tuned: it reads what the CSVs and the reports hold.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from row_reports import read_or_exit  # noqa: E402
from term_check import estimate_of, judge  # noqa: E402


def variants(row, report):
    """(without, with) the small baseline, each (estimate, lo, hi); None when the row has none."""
    ind = report.get("indirect") or {}
    cpu = report.get("cpu_seconds") or 0
    tool = estimate_of(row)
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
    judge([(row, variants(row, report)) for row, report in read_or_exit(paths, __doc__, "indirect_few_check")],
          "the small baseline", "with the few", "added µs/request")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
