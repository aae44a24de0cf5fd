#!/usr/bin/env python3
"""The event loop's refill after its own sleeps, judged on a designs_check.sh run.

  clients/foreign/loop_refill_check.py CSV [CSV ...]

Since model-error §15 the async cost without a calibration holds, besides the
non-blocking call and the loop's sleep and wakeup, the refill an event loop
pays after its sleeps: idle share x the indirect part per blocked IO call
(`async_cost_idle_share` x `async_cost_refill_seconds` in the report), on
every replaced call. This script compares the tool's estimate (with the
term) with the estimate less it: the term's share,

  refill share = idle share x refill seconds x blocked IO calls / CPU seconds

added back, the interval moved with it, not narrowed. (Blocked IO calls
stand for the replaced ones: they differ only by calls that could not be
priced, which the rows judged here do not have.) Rows where the term is 0
(no idle time, no indirect part, or a calibration) count on both sides
unchanged.

The test (term_check.py) was fixed before the run that judges it (§15). Nothing
here is tuned: it reads what the CSVs and the reports hold.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from row_reports import read_or_exit  # noqa: E402
from term_check import estimate_of, judge  # noqa: E402


def variants(row, report):
    """(without, with) the refill term, each (estimate, lo, hi); None when it is 0."""
    v = report.get("verdict") or {}
    cpu = report.get("cpu_seconds") or 0
    refill = (v.get("async_cost_idle_share") or 0) * (v.get("async_cost_refill_seconds") or 0)
    if cpu <= 0 or refill <= 0:
        return None
    part = refill * (v.get("blocked_io_calls") or 0) / cpu
    tool = estimate_of(row)
    return tuple(x + part for x in tool), tool


def main(paths):
    judge([(row, variants(row, report)) for row, report in read_or_exit(paths, __doc__, "loop_refill_check")],
          "the loop's refill", "with the refill", "taken µs/request")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
