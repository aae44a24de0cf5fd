#!/usr/bin/env python3
"""The same runs' estimate without the indirect part's kernel half.

  clients/foreign/without_kernel_half.py CSV REPORTS_JSONL OUT_CSV

CSV is a designs_check.sh run; REPORTS_JSONL holds each row's `iotax report
--json` target (one per line: cpu_seconds, verdict, indirect), matched to its
row by the row's key that designs_check.sh writes with it (design, load,
conns, msg_size, repeat, work_us, work_bytes), or, for reports kept without
one, by the estimated saving (4 decimals). Rows without a report are left
out and counted. For each row:

  saving' = saving - (indirect CPU - max(0, user half) * blocked calls) / CPU

the interval is shifted by the same amount, and the level recomputed with the
verdict's thresholds (daemon/model/verdict.cc) on the shifted sub-window
interval (the overhead's interval minus the async cost); the verdict's one
exception, a "not worth it" raised to "maybe" by a run-queue p99 of 1 ms or
more, is not applied (the reports kept here do not carry the p99). OUT_CSV has the CSV's columns plus kernel_half_share;
designs_summary.py reads it. Nothing is fitted: it only removes one term.
"""
import csv
import json
import sys


KEY = ("design", "load", "conns", "msg_size", "repeat", "work_us", "work_bytes")


def row_key(row):
    return "row:" + ",".join(str(row.get(k, "")) for k in KEY)


def saving_key(share):
    return f"saving:{share:.4f}"


def main(src, reports_path, out):
    reports = {}
    with open(reports_path) as f:
        for line in f:
            t = json.loads(line)
            reports.setdefault(row_key(t["row"]) if "row" in t else saving_key(t["verdict"]["estimated_saving_share"]), t)
    with open(src, newline="") as f:
        rows = list(csv.DictReader(f))
    missing = 0
    with open(out, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0].keys()) + ["kernel_half_share"])
        w.writeheader()
        for r in rows:
            t = reports.get(row_key(r)) or reports.get(saving_key(float(r["estimated_saving_share"])))
            if t is None:
                missing += 1
                continue
            v, path = t["verdict"], (t["indirect"].get("path") or {})
            delta = 0.0
            if path.get("kernel_difference_seconds") is not None and t["cpu_seconds"]:
                user = max(0.0, path["user_difference_seconds"])
                delta = ((v["indirect_cpu_seconds"] or 0.0) - user * v["blocked_io_calls"]) / t["cpu_seconds"]
            s = float(r["estimated_saving_share"]) - delta
            lo, hi = float(r["estimate_lo"]) - delta, float(r["estimate_hi"]) - delta
            async_share = v["overhead_share"] - v["estimated_saving_share"]
            olo, ohi = (x - async_share - delta for x in v["overhead_share_ci"])
            level = "not_worth_it" if ohi < 0.05 else ("likely_worth_it" if s >= 0.15 and olo >= 0.10 else "maybe")
            actual = float(r["actual_saving_share"])
            r.update(estimated_saving_share=f"{s:.4f}", estimate_lo=f"{lo:.4f}", estimate_hi=f"{hi:.4f}",
                     error_us=f"{(s - actual) * float(r['blocking_cpu_us']):.3f}",
                     covered=str(int(lo <= actual <= hi)), level=level, kernel_half_share=f"{delta:.4f}")
            w.writerow(r)
    print(f"without_kernel_half: {len(rows) - missing} rows rewritten, {missing} without a report", file=sys.stderr)
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 4:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        sys.exit(2)
    sys.exit(main(*sys.argv[1:]))
